import { type Abi, type Address, type Hex, parseEventLogs } from 'viem';
import { peerRegistryAbi } from '../../protocol/chain/generated/abis';
import { marketAbi, readSlot, SLOT_STATE } from '../../protocol/chain/market';
import type { MarketChainDeps } from '../market/fill';
import { sendMarketCall } from '../market/send-market-call';
import { readNodeStatus } from '../status/read-node-status';
import type { ClaimJson, DashboardChain, DashboardEvent } from './dashboard-json';

/** What the operator dashboard reads from the chain and does on it, for this node only. */
export interface NodeChainView {
  /** Stake, proofs and rewards as the chain records them (cached for a few seconds). */
  status(): Promise<DashboardChain>;
  /** Recent events naming this node, newest first (cached with the status). */
  events(): Promise<DashboardEvent[]>;
  /** Claims every slot the node holds that has something to claim; forgets the cache. */
  claim(): Promise<ClaimJson>;
}

/** Defaults of the chain view. */
export const chainViewDefaults = {
  /** Chain reads are reused this long: a dashboard polling every few seconds costs a few calls, not a scan per view. */
  cacheMs: 3_000,
  /** Events are looked for in this many blocks back from the head (at least from the deployment block). */
  eventLookbackBlocks: 100_000n,
  /** Most events returned. */
  maxEvents: 50,
} as const;

type EventSpec = { contract: 'Marketplace' | 'PeerRegistry'; name: string; args?: Record<string, unknown>; amount?: string };
type LooseLog = { args: Record<string, unknown>; blockNumber: bigint | null; transactionHash: Hex | null; logIndex: number | null };

const text = (value: unknown): string | null => (value === undefined || value === null ? null : String(value));

/**
 * The chain view of a running node, over standard JSON-RPC: `status()` reuses `readNodeStatus`
 * plus the marketplace ledger (earned and subsidy apart); `events()` reads the Marketplace and
 * PeerRegistry logs naming the node (fills, proofs submitted, proofs of its slots marked missing,
 * claims, collateral released, slots freed, stake added or slashed, credit withdrawn); `claim()`
 * simulates `claim(slot)` for every slot the node holds and sends those that would pay, sharing
 * the node's nonce manager with its other transactions.
 *
 * @example
 * const view = createNodeChainView({ chain }, { market, registry, fromBlock: BigInt(deployment.blockNumber) });
 * const { proofsSubmitted } = await view.status();
 */
export function createNodeChainView(
  deps: { chain: MarketChainDeps; now?: () => number },
  p: { market: Address; registry: Address; fromBlock?: bigint; cacheMs?: number; eventLookbackBlocks?: bigint; maxEvents?: number },
): NodeChainView {
  const { publicClient, account } = deps.chain;
  const now = deps.now ?? Date.now;
  const me = account.address;
  const fromBlock = p.fromBlock ?? 0n;
  const cacheMs = p.cacheMs ?? chainViewDefaults.cacheMs;
  const lookback = p.eventLookbackBlocks ?? chainViewDefaults.eventLookbackBlocks;
  const maxEvents = p.maxEvents ?? chainViewDefaults.maxEvents;

  const logsOf = async (spec: EventSpec, from: bigint): Promise<DashboardEvent[]> => {
    const logs = (await publicClient.getContractEvents({
      address: spec.contract === 'Marketplace' ? p.market : p.registry,
      abi: spec.contract === 'Marketplace' ? marketAbi : peerRegistryAbi,
      eventName: spec.name,
      args: spec.args,
      fromBlock: from,
      strict: true,
    } as never)) as unknown as LooseLog[];
    return logs.map((log) => ({
      name: spec.name,
      contract: spec.contract,
      blockNumber: String(log.blockNumber ?? 0n),
      txHash: log.transactionHash ?? '0x',
      logIndex: log.logIndex ?? 0,
      slotId: text(log.args.slot),
      epoch: text(log.args.epoch),
      amount: spec.amount ? text(log.args[spec.amount]) : null,
    }));
  };

  /** The slots the node ever filled (from `SlotFilled` logs since the deployment). */
  const filledSlots = async (): Promise<Hex[]> => {
    const fills = await logsOf({ contract: 'Marketplace', name: 'SlotFilled', args: { peer: me } }, fromBlock);
    return [...new Set(fills.map((f) => f.slotId as Hex))];
  };

  const readStatus = async (): Promise<DashboardChain> => {
    const [status, ledger] = await Promise.all([
      readNodeStatus({ publicClient }, { address: me, market: p.market, registry: p.registry, fromBlock }),
      publicClient.readContract({ address: p.market, abi: marketAbi, functionName: 'ledger', args: [me] }),
    ]);
    return {
      stake: status.stake,
      lockedStake: status.lockedStake,
      slots: status.slots,
      bytesHeld: status.bytesHeld,
      proofsSubmitted: status.proofsSubmitted,
      proofsMissed: status.proofsMissed,
      rewards: { earned: String(ledger.earned), subsidy: String(ledger.subsidy), claimable: status.rewardsAccrued },
      markerCredit: status.markerCredit,
      readAt: new Date(now()).toISOString(),
    };
  };

  const readEvents = async (): Promise<DashboardEvent[]> => {
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    const from = head > fromBlock + lookback ? head - lookback : fromBlock;
    const slots = await filledSlots();
    const specs: EventSpec[] = [
      { contract: 'Marketplace', name: 'SlotFilled', args: { peer: me }, amount: 'collateral' },
      { contract: 'Marketplace', name: 'ProofSubmitted', args: { by: me } },
      { contract: 'Marketplace', name: 'Claimed', args: { peer: me }, amount: 'amount' },
      { contract: 'Marketplace', name: 'CollateralReleased', args: { peer: me }, amount: 'amount' },
      { contract: 'Marketplace', name: 'SlotFreed', args: { peer: me } },
      { contract: 'PeerRegistry', name: 'PeerRegistered', args: { peer: me }, amount: 'stake' },
      { contract: 'PeerRegistry', name: 'StakeAdded', args: { peer: me }, amount: 'amount' },
      { contract: 'PeerRegistry', name: 'StakeSlashed', args: { peer: me }, amount: 'amount' },
      { contract: 'PeerRegistry', name: 'CreditWithdrawn', args: { account: me }, amount: 'amount' },
    ];
    // A miss names the slot and its marker, not the peer: ask for the node's slots.
    if (slots.length > 0) specs.push({ contract: 'Marketplace', name: 'ProofMissed', args: { slot: slots }, amount: 'slashed' });
    const all = (await Promise.all(specs.map((spec) => logsOf(spec, from)))).flat();
    all.sort((a, b) => {
      const byBlock = BigInt(b.blockNumber) - BigInt(a.blockNumber);
      return byBlock !== 0n ? (byBlock > 0n ? 1 : -1) : b.logIndex - a.logIndex;
    });
    return all.slice(0, maxEvents);
  };

  let cached: { at: number; value: Promise<{ status: DashboardChain; events: DashboardEvent[] }> } | undefined;
  const read = () => {
    if (cached && now() - cached.at < cacheMs) return cached.value;
    const value = Promise.all([readStatus(), readEvents()]).then(([status, events]) => ({ status, events }));
    const entry = { at: now(), value };
    cached = entry;
    // A failed read is not reused.
    value.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return value;
  };

  return {
    status: async () => (await read()).status,
    events: async () => (await read()).events,
    claim: async () => {
      const claimed: ClaimJson['claimed'] = [];
      const failed: ClaimJson['failed'] = [];
      try {
        for (const slotId of await filledSlots()) {
          const slot = await readSlot({ publicClient }, { market: p.market, slotId });
          if (slot.state !== SLOT_STATE.Filled || slot.peer !== me) continue;
          const outcome = await sendMarketCall(deps.chain, { marketAddress: p.market, functionName: 'claim', args: [slotId] });
          if (outcome.status === 'sent') {
            const receipt = await publicClient.getTransactionReceipt({ hash: outcome.hash });
            const events = parseEventLogs({ abi: marketAbi as Abi, eventName: 'Claimed', logs: receipt.logs }) as unknown as LooseLog[];
            const event = events.find((e) => e.args.slot === slotId);
            claimed.push({ slotId, amount: text(event?.args.amount) ?? '0', settledThrough: text(event?.args.settledThrough) ?? '', txHash: outcome.hash });
          } else if (!(outcome.status === 'refused' && outcome.errorName === 'NothingToClaim')) {
            failed.push({ slotId, message: outcome.message });
          }
        }
      } finally {
        cached = undefined;
      }
      return { claimed, total: String(claimed.reduce((sum, c) => sum + BigInt(c.amount), 0n)), failed };
    },
  };
}
