import {
  type Address,
  BaseError,
  bytesToHex,
  type Chain,
  ContractFunctionRevertedError,
  type PrivateKeyAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { marketAbi, readSlot, SLOT_STATE } from '../../protocol/chain/market';
import type { SlotId } from '../../protocol/ids';
import { type SegmentTree, SegmentTreeBuilder } from '../../protocol/merkle';
import type { MarketState } from '../store/market-state';
import type { SlotIndex } from '../store/slot-index';
import type { SlotStore } from '../store/slot-store';
import type { ColumnTreeProgress, ColumnTrees } from './column-trees';
import { readSlotBytes, type SlotLayout, slotLayout } from './slot-bytes';

/** The node's chain access for marketplace work: reads, and transactions signed by the operator key. */
export interface MarketChainDeps {
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, PrivateKeyAccount>;
  account: PrivateKeyAccount;
}

/** Tree level kept per slot for proofs: one node per 2^8 segments (128 KiB), as DESIGN.md says. */
export const KEPT_LEVEL = 8;

/**
 * Fills every committed slot this node holds: finishes the slot's segment tree (shards 0..n−1 then
 * the manifest; skipped while incomplete) from the part `trees` built while the column arrived, or
 * from the bytes on disk when there is none or it does not match (then read whole once more before
 * a mismatch is believed), checks its root and segment
 * count against what the owner committed (a mismatch is logged and never filled), sends
 * `fillSlot` with the owner's stored assignment, and keeps the tree's kept level for proofs. A slot
 * the chain already shows filled by this node (a restart after the transaction) is only recorded.
 * A fill refused on chain (a revert) is logged and marked `failed`; other failures are retried on the next call.
 *
 * @example
 * await fillCommittedSlots({ chain, index, store, market, log }, { marketAddress });
 */
export async function fillCommittedSlots(
  deps: {
    chain: MarketChainDeps;
    index: Pick<SlotIndex, 'shardsOf' | 'getSlot'>;
    store: Pick<SlotStore, 'shardPath'>;
    market: MarketState;
    log: (line: string) => void;
    /** Trees built as columns arrived (`createColumnTrees`); without it every fill reads its column whole. */
    trees?: Pick<ColumnTrees, 'take'>;
  },
  p: { marketAddress: Address; signal?: AbortSignal },
): Promise<void> {
  for (const row of deps.market.inState('committed')) {
    p.signal?.throwIfAborted();
    const layout = slotLayout(deps, { slotId: row.slotId });
    const slot = deps.index.getSlot(row.slotId);
    if (!layout || !slot) continue; // not all of the column has arrived (yet)
    const matches = (t: SegmentTree) => bytesToHex(t.root) === row.slotRoot.toLowerCase() && t.segmentCount === row.segmentCount;
    let tree: SegmentTree;
    try {
      const progress = await deps.trees?.take(row.slotId, layout);
      tree = await finishSlotTree(deps, { slotId: row.slotId, layout, progress });
      if (progress && !matches(tree)) {
        deps.log(`slot ${row.slotId}: the tree built as its column arrived does not match the commit; reading the column whole`);
        tree = await finishSlotTree(deps, { slotId: row.slotId, layout });
      }
    } catch (error) {
      // A file gone or cut short since it was indexed (the next start's recovery drops its row): tried again next round.
      deps.log(`slot ${row.slotId}: cannot read its bytes to fill: ${error instanceof Error ? error.message : String(error)}; will retry`);
      continue;
    }
    const root = bytesToHex(tree.root);
    if (!matches(tree)) {
      deps.log(
        `slot ${row.slotId} (deal ${row.dealId}, column ${row.column}): the committed root ${row.slotRoot} (${row.segmentCount} segments) is not the root of what this node received, ${root} (${tree.segmentCount} segments); not filling`,
      );
      deps.market.setState(row.slotId, 'mismatch');
      continue;
    }
    const kept = { keptLevel: tree.keptLevel, keptNodes: tree.keptNodes };
    const onChain = await readSlot(deps.chain, { market: p.marketAddress, slotId: row.slotId });
    if (onChain.state === SLOT_STATE.Filled && onChain.peer === deps.chain.account.address) {
      deps.market.markFilled(row.slotId, kept);
      continue;
    }
    if (!slot.assignment) {
      deps.log(`slot ${row.slotId}: no assignment stored with it; cannot fill`);
      deps.market.setState(row.slotId, 'failed');
      continue;
    }
    try {
      const { request } = await deps.chain.publicClient.simulateContract({
        account: deps.chain.account,
        address: p.marketAddress,
        abi: marketAbi,
        functionName: 'fillSlot',
        args: [row.dealId, row.column, row.slotRoot, row.rootProof, slot.assignment.deadline, slot.assignment.signature],
      });
      const hash = await deps.chain.walletClient.writeContract(request);
      const receipt = await deps.chain.publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== 'success') throw new Error(`fillSlot transaction ${hash} reverted`);
    } catch (error) {
      const reverted = error instanceof BaseError && error.walk((e) => e instanceof ContractFunctionRevertedError) !== null;
      deps.log(
        `slot ${row.slotId}: fillSlot ${reverted ? 'refused' : 'failed, will retry'}: ${error instanceof BaseError ? error.shortMessage : String(error)}`,
      );
      // A revert is the chain's answer (expired assignment, slot taken, deal over): not retried.
      if (reverted) deps.market.setState(row.slotId, 'failed');
      continue;
    }
    deps.market.markFilled(row.slotId, kept);
    deps.log(`filled slot ${row.slotId} (deal ${row.dealId}, column ${row.column}, ${tree.segmentCount} segments)`);
  }
}

/** The slot's tree: the parts after `progress` (all of them without it) read from disk into its builder. */
async function finishSlotTree(
  deps: { store: Pick<SlotStore, 'shardPath'> },
  p: { slotId: SlotId; layout: SlotLayout; progress?: ColumnTreeProgress },
): Promise<SegmentTree> {
  const builder = p.progress?.builder ?? (await SegmentTreeBuilder.create({ keptLevel: KEPT_LEVEL }));
  const rest = p.progress ? { parts: p.layout.parts.slice(p.progress.parts), bytes: p.layout.bytes } : p.layout;
  for await (const piece of readSlotBytes(deps, { slotId: p.slotId, layout: rest })) builder.write(piece);
  return builder.finish();
}
