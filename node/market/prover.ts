import { type Address, bytesToHex } from 'viem';
import { marketAbi, readDeal, readSlot, SLOT_STATE } from '../../protocol/chain/market';
import type { SlotId } from '../../protocol/ids';
import { createKeccakHasher, depthOf, proveSegment, SEGMENT_BYTES } from '../../protocol/merkle';
import type { MarketState } from '../store/market-state';
import type { SlotIndex } from '../store/slot-index';
import type { SlotStore } from '../store/slot-store';
import type { MarketChainDeps } from './fill';
import { readSeedState } from './seed-state';
import { errorText, sendMarketCall } from './send-market-call';
import { readSlotRange, slotLayout } from './slot-bytes';

/** Claim a filled slot's pay every this many epochs (and at once after its deal ended). */
export const CLAIM_EVERY_EPOCHS = 4n;

/**
 * What the prover keeps between rounds so that a round reads only what can have changed: the
 * market's missing window (fixed at deployment), the epochs whose seed question is settled
 * (recorded, or never to be: its block was not fixed before the epoch began, or its 256 blocks have
 * passed) and whose next seed block is fixed, and the slots with nothing left to do in the current
 * epoch (seed settled and not challenged, or proven; pay claimed when due). A node's rounds run
 * every few seconds: without it each read every filled slot's challenge, slot and deal again, calls
 * that grew with the slots held; with it a quiet round costs one call. Memory only: a restarted
 * node reads everything once more.
 */
export interface ProverMemory {
  missingWindow?: bigint;
  seedSettled: Set<bigint>;
  seedBlockFixed: Set<bigint>;
  /** Slot → the epoch it has nothing left to do in. */
  doneIn: Map<SlotId, bigint>;
}

/**
 * An empty `ProverMemory`, one per node process (given to every `proveRound`).
 *
 * @example
 * const memory = createProverMemory();
 * await proveRound({ chain, index, store, market, log, memory }, { marketAddress });
 */
export function createProverMemory(): ProverMemory {
  return { seedSettled: new Set(), seedBlockFixed: new Set(), doneIn: new Map() };
}

/**
 * One round of the prover, safe to run at any time and after any restart (it reads what to do from
 * the chain and the node's database):
 * 1. fixes the seed block of the next epoch when nobody has (this transaction also makes a block,
 *    so seeds become recordable on a chain where blocks are rare);
 * 2. records the current epoch's seed when its block is fixed, mined and within 256 blocks;
 * 3. for every slot this node filled that is challenged in the current epoch and not yet proven,
 *    builds the proof from disk (kept tree level + the challenged group's bytes) and submits it;
 *    a slot whose bytes are gone cannot be proven: that is logged;
 * 4. claims settled pay every few epochs and after the deal's end; once the chain shows the slot
 *    finished (collateral released), deletes its data and marks it done.
 *
 * With `memory` (see `ProverMemory`) steps 1 and 2 are skipped once done, and a slot with nothing
 * left to do in the current epoch is not read again before the next.
 *
 * @example
 * await proveRound({ chain, index, store, market, log }, { marketAddress });
 */
export async function proveRound(
  deps: {
    chain: MarketChainDeps;
    index: Pick<SlotIndex, 'shardsOf' | 'deleteSlot'>;
    store: Pick<SlotStore, 'shardPath' | 'removeSlot'>;
    market: MarketState;
    log: (line: string) => void;
    /** Kept between rounds (`createProverMemory`); without it every round reads everything. */
    memory?: ProverMemory;
  },
  p: { marketAddress: Address; signal?: AbortSignal },
): Promise<void> {
  const { publicClient } = deps.chain;
  const memory = deps.memory ?? createProverMemory();
  const read = <T>(functionName: string, args: readonly unknown[] = []) =>
    publicClient.readContract({ address: p.marketAddress, abi: marketAbi, functionName, args } as never) as Promise<T>;
  const send = async (functionName: string, args: readonly unknown[] = []): Promise<boolean> => {
    const outcome = await sendMarketCall(deps.chain, { marketAddress: p.marketAddress, functionName, args });
    if (outcome.status !== 'sent') deps.log(`${functionName}(${args.map(String).join(', ')}) ${outcome.status}: ${outcome.message}`);
    return outcome.status === 'sent';
  };

  const epoch = await read<bigint>('currentEpoch');
  for (const e of memory.seedSettled) if (e < epoch) memory.seedSettled.delete(e);
  for (const e of memory.seedBlockFixed) if (e <= epoch) memory.seedBlockFixed.delete(e);
  for (const [slotId, e] of memory.doneIn) if (e < epoch) memory.doneIn.delete(slotId);
  if (!memory.seedBlockFixed.has(epoch + 1n)) {
    const fixed = (await read<bigint>('seedBlockOf', [epoch + 1n])) !== 0n || (await send('fixSeedBlock'));
    if (fixed) memory.seedBlockFixed.add(epoch + 1n);
  }
  if (!memory.seedSettled.has(epoch)) {
    const state = await readSeedState({ publicClient }, { marketAddress: p.marketAddress, epoch });
    const settled = state === 'recorded' || state === 'never' || (state === 'recordable' && (await send('recordSeed', [epoch])));
    if (settled) memory.seedSettled.add(epoch);
  }
  // Only under a settled seed is "not challenged" final for the epoch.
  const seedSettled = memory.seedSettled.has(epoch);

  memory.missingWindow ??= BigInt((await read<{ missingWindowEpochs: number }>('config')).missingWindowEpochs);
  const missingWindow = memory.missingWindow;
  let keccak: Awaited<ReturnType<typeof createKeccakHasher>> | undefined;
  for (const row of deps.market.inState('filled')) {
    p.signal?.throwIfAborted();
    if (memory.doneIn.get(row.slotId) === epoch) continue;
    let settled = seedSettled;
    const [challenged, segmentIndex] = await read<readonly [boolean, bigint]>('challengeOf', [row.slotId, epoch]);
    if (challenged && !(await read<boolean>('isProven', [row.slotId, epoch]))) {
      try {
        const layout = slotLayout(deps, { slotId: row.slotId });
        if (!layout || !row.tree) throw new Error('the slot’s shards are no longer all in the index');
        const level = Math.min(row.tree.keptLevel, depthOf(row.segmentCount));
        const groupSegments = 2 ** level;
        const first = Math.floor(Number(segmentIndex) / groupSegments) * groupSegments;
        const group = await readSlotRange(deps, { slotId: row.slotId, layout, start: first * SEGMENT_BYTES, length: groupSegments * SEGMENT_BYTES });
        keccak ??= await createKeccakHasher();
        const { segment, proof } = proveSegment(keccak, {
          segmentCount: row.segmentCount,
          keptLevel: row.tree.keptLevel,
          keptNodes: row.tree.keptNodes,
          group,
          index: Number(segmentIndex),
        });
        if (await send('submitProof', [row.slotId, bytesToHex(segment), proof.map((n) => bytesToHex(n))])) {
          deps.log(`proved slot ${row.slotId} for epoch ${epoch} (segment ${segmentIndex})`);
        } else settled = false;
      } catch (error) {
        settled = false;
        deps.log(`cannot prove slot ${row.slotId} for epoch ${epoch} (segment ${segmentIndex}): ${errorText(error)}`);
      }
    }

    const slot = await readSlot(deps.chain, { market: p.marketAddress, slotId: row.slotId });
    if (slot.state === SLOT_STATE.Filled) {
      const deal = await readDeal(deps.chain, { market: p.marketAddress, dealId: row.dealId });
      const ended = deal === undefined || deal.cancelled || epoch >= deal.endEpoch;
      const endEpoch = deal ? deal.endEpoch : epoch;
      // After the end: claim what is unsettled, then once more when the last missing window closes (collateral back).
      const finishable = ended && (slot.settledThrough + 1n < endEpoch || epoch >= endEpoch + missingWindow);
      if ((finishable || epoch > slot.settledThrough + CLAIM_EVERY_EPOCHS) && !(await send('claim', [row.slotId]))) settled = false;
      // A finishable slot is looked at again until the chain shows it finished.
      if (finishable) settled = false;
    }
    const after = slot.state === SLOT_STATE.Filled ? await readSlot(deps.chain, { market: p.marketAddress, slotId: row.slotId }) : slot;
    if (
      after.state === SLOT_STATE.Finished ||
      after.state === SLOT_STATE.Freed ||
      (after.state !== SLOT_STATE.Filled && after.peer !== deps.chain.account.address)
    ) {
      deps.index.deleteSlot(row.slotId);
      await deps.store.removeSlot(row.slotId);
      deps.market.setState(row.slotId, 'done');
      memory.doneIn.delete(row.slotId);
      deps.log(`slot ${row.slotId} is ${after.state === SLOT_STATE.Finished ? 'finished' : 'no longer ours'}: its data was deleted`);
    } else if (settled) memory.doneIn.set(row.slotId, epoch);
  }
}
