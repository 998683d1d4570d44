import type { Address, Chain, Hex, PublicClient, Transport } from 'viem';
import { peerRegistryAbi } from '../../protocol/chain/generated/abis';
import { marketAbi, readDeal, readSlot, SLOT_STATE } from '../../protocol/chain/market';

/** A node's standing as the chain records it; token amounts and counts as decimal strings (JSON-safe). */
export interface NodeStatus {
  /** Stake in the registry (reward-token wei). */
  stake: string;
  /** Part of the stake locked as slot collateral. */
  lockedStake: string;
  /** Slots the node holds now (filled, by this peer). */
  slots: number;
  /** Proofs the chain accepted for the node's slots (`ledger.epochsProven`). */
  proofsSubmitted: string;
  /** Proofs of the node's slots marked missing. */
  proofsMissed: string;
  /**
   * Pay of the node's slots for past epochs not settled yet: an upper bound of what `claim` will
   * pay (epochs challenged and not proven are not paid).
   */
  rewardsAccrued: string;
  /** Tokens paid to the node by `claim`, subsidy included. */
  rewardsClaimed: string;
  /** Sum of `bytesPerSlot` over the slots the node holds. */
  bytesHeld: string;
  /** Marker credit held by the registry (shares of slashes for proofs the node marked missing), not withdrawn yet. */
  markerCredit: string;
}

/**
 * Reads a node's status from the chain with standard JSON-RPC only: its registry record (stake),
 * its marketplace ledger, and its slots (from `SlotFilled` logs naming it since `fromBlock`, each
 * read back to keep only those it still holds). For `dhost node status --json`.
 *
 * @example
 * const status = await readNodeStatus({ publicClient }, { address, market: deployment.contracts.Marketplace, registry: deployment.contracts.PeerRegistry, fromBlock: BigInt(deployment.blockNumber) });
 * console.log(JSON.stringify(status));
 */
export async function readNodeStatus(
  deps: { publicClient: PublicClient<Transport, Chain | undefined> },
  p: { address: Address; market: Address; registry: Address; fromBlock?: bigint },
): Promise<NodeStatus> {
  const { publicClient } = deps;
  const [peer, ledger, epoch, credit] = await Promise.all([
    publicClient.readContract({ address: p.registry, abi: peerRegistryAbi, functionName: 'peer', args: [p.address] }),
    publicClient.readContract({ address: p.market, abi: marketAbi, functionName: 'ledger', args: [p.address] }),
    publicClient.readContract({ address: p.market, abi: marketAbi, functionName: 'currentEpoch' }),
    publicClient.readContract({ address: p.registry, abi: peerRegistryAbi, functionName: 'creditOf', args: [p.address] }),
  ]);
  const fills = await publicClient.getContractEvents({
    address: p.market,
    abi: marketAbi,
    eventName: 'SlotFilled',
    args: { peer: p.address },
    fromBlock: p.fromBlock ?? 0n,
    strict: true,
  });
  const slotIds = [...new Set(fills.map((log) => log.args.slot as Hex))];
  let slots = 0;
  let accrued = 0n;
  for (const slotId of slotIds) {
    const slot = await readSlot(deps, { market: p.market, slotId });
    if (slot.state !== SLOT_STATE.Filled || slot.peer !== p.address) continue;
    slots++;
    const deal = await readDeal(deps, { market: p.market, dealId: slot.dealId });
    if (!deal) continue;
    // Past epochs (< current) in the paid range that claim has not settled yet.
    const from = [slot.settledThrough + 1n, slot.fillEpoch + 1n, deal.startEpoch].reduce((a, b) => (a > b ? a : b));
    let to = deal.endEpoch;
    if (epoch < to) to = epoch;
    if (to > from) accrued += (to - from) * deal.pricePerSlotEpoch;
  }
  return {
    stake: String(peer.stake),
    lockedStake: String(peer.lockedStake),
    slots,
    proofsSubmitted: String(ledger.epochsProven),
    proofsMissed: String(ledger.proofsMissed),
    rewardsAccrued: String(accrued),
    rewardsClaimed: String(ledger.earned + ledger.subsidy),
    bytesHeld: String(ledger.bytesHeld),
    markerCredit: String(credit),
  };
}
