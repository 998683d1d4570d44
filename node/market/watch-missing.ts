import type { Address } from 'viem';
import { marketAbi, readDeal } from '../../protocol/chain/market';
import { type FileId, type SlotId, slotIdOf } from '../../protocol/ids';
import type { MarketState } from '../store/market-state';
import type { MarketChainDeps } from './fill';
import { readSeedState } from './seed-state';
import { errorText, sendMarketCall } from './send-market-call';

/**
 * At most this many (slot, epoch) pairs are looked at on chain per round (each costs two or three
 * `eth_call`s): a node holding many slots spreads the watch over a few rounds instead of stalling
 * its prover. 64 pairs × 3 calls stay well under a second against a local RPC endpoint.
 */
export const WATCH_MAX_CHECKS_PER_ROUND = 64;

/**
 * What the watchtower remembers between rounds, in memory only: a restart forgets it and merely
 * checks again (re-checking is harmless). Everything in it is final on chain: deals' slot counts,
 * and (slot, epoch) pairs that need nothing more — not challenged under a recorded seed, proven,
 * or marked missing (by this node or anyone else).
 */
export interface MissingWatch {
  /** Slot count per deal (fixed when the deal opens). */
  slotsOf: Map<FileId, number>;
  /** `slotId:epoch` → epoch, for pairs with nothing left to do; pruned once the epoch leaves the window. */
  settled: Map<string, bigint>;
  /** The deal the next round starts with, so that a round cut short by the bound does not starve later deals. */
  nextDeal: number;
  /** The market's `missingWindowEpochs` (fixed at deployment), once read. */
  missingWindow?: bigint;
  /** Epochs of the window whose seed is known for good: recorded (true), or never to be (false: no seed block, or its 256 blocks passed); pruned with `settled`. */
  seeds: Map<bigint, boolean>;
}

/** What one watch round did. */
export interface WatchReport {
  /** (slot, epoch) pairs looked at on chain. */
  checked: number;
  /** Proofs this node marked missing (and was credited for). */
  marked: { slotId: SlotId; epoch: bigint }[];
  /** True when the bound stopped the round before every pair was seen. */
  deferred: boolean;
}

/**
 * A fresh, empty watchtower memory.
 *
 * @example
 * const watch = createMissingWatch();
 * await watchMissingProofs({ chain, market, watch, log }, { marketAddress });
 */
export function createMissingWatch(): MissingWatch {
  return { slotsOf: new Map(), settled: new Map(), nextDeal: 0, seeds: new Map() };
}

/**
 * One round of the watchtower. For every deal in which this node holds a filled slot, looks at the
 * deal's OTHER slots for each epoch of the missing window (`current − missingWindowEpochs …
 * current − 1`, oldest first, so the pairs about to leave the window go first): a slot challenged
 * in that epoch (`challengeOf`) and not proven (`isProven`) is marked missing with
 * `markProofMissing(slot, epoch)` — simulated first, so a slot someone else already marked
 * (`AlreadyMarked`) costs no gas and counts as done — and this node receives the marker's share of
 * the slash. Epochs whose seed is not recorded are skipped (no challenge exists yet).
 *
 * At most `maxChecks` pairs are looked at per round; the rest wait for the next round. Never
 * throws: chain errors are logged and the round ends early; an aborted `signal` ends it quietly.
 * Restart-safe: it reads what to do from the chain and the node's database.
 *
 * @example
 * const watch = createMissingWatch();
 * const report = await watchMissingProofs({ chain, market: nodeStore.market, watch, log }, { marketAddress });
 * for (const m of report.marked) console.log(`marked ${m.slotId} missing for epoch ${m.epoch}`);
 */
export async function watchMissingProofs(
  deps: { chain: MarketChainDeps; market: Pick<MarketState, 'inState'>; watch?: MissingWatch; log: (line: string) => void },
  p: { marketAddress: Address; signal?: AbortSignal; maxChecks?: number },
): Promise<WatchReport> {
  const watch = deps.watch ?? createMissingWatch();
  const maxChecks = p.maxChecks ?? WATCH_MAX_CHECKS_PER_ROUND;
  const report: WatchReport = { checked: 0, marked: [], deferred: false };
  const read = <T>(functionName: string, args: readonly unknown[] = []) =>
    deps.chain.publicClient.readContract({ address: p.marketAddress, abi: marketAbi, functionName, args } as never) as Promise<T>;

  try {
    // The deals this node holds a filled slot of, with its own columns in each.
    const own = new Map<FileId, Set<number>>();
    for (const row of deps.market.inState('filled')) {
      const columns = own.get(row.dealId) ?? new Set<number>();
      columns.add(row.column);
      own.set(row.dealId, columns);
    }
    for (const dealId of watch.slotsOf.keys()) if (!own.has(dealId)) watch.slotsOf.delete(dealId);
    if (own.size === 0) return report;

    watch.missingWindow ??= BigInt((await read<{ missingWindowEpochs: number }>('config')).missingWindowEpochs);
    const current = await read<bigint>('currentEpoch');
    const first = current > watch.missingWindow ? current - watch.missingWindow : 0n;
    for (const [key, epoch] of watch.settled) if (epoch < first) watch.settled.delete(key);
    for (const epoch of watch.seeds.keys()) if (epoch < first) watch.seeds.delete(epoch);
    let head: Promise<bigint> | undefined;
    const readHead = () => {
      head ??= deps.chain.publicClient.getBlockNumber();
      return head;
    };
    /** Whether `epoch` (before the current one) has a seed; remembered once the answer is final. */
    const hasSeed = async (epoch: bigint): Promise<boolean> => {
      const known = watch.seeds.get(epoch);
      if (known !== undefined) return known;
      const state = await readSeedState(deps.chain, { marketAddress: p.marketAddress, epoch, head: readHead });
      if (state === 'recorded' || state === 'never') watch.seeds.set(epoch, state === 'recorded');
      return state === 'recorded';
    };

    const deals = [...own.keys()];
    const start = watch.nextDeal % deals.length;
    const ordered = [...deals.slice(start), ...deals.slice(0, start)];
    for (let epoch = first; epoch < current; epoch++) {
      if (!(await hasSeed(epoch))) continue;
      for (const [d, dealId] of ordered.entries()) {
        let slots = watch.slotsOf.get(dealId);
        if (slots === undefined) {
          const deal = await readDeal(deps.chain, { market: p.marketAddress, dealId });
          if (!deal) continue;
          slots = deal.slots;
          watch.slotsOf.set(dealId, slots);
        }
        for (let column = 0; column < slots; column++) {
          if (own.get(dealId)?.has(column)) continue;
          const slotId = slotIdOf(dealId, column);
          const key = `${slotId}:${epoch}`;
          if (watch.settled.has(key)) continue;
          if (p.signal?.aborted) return report;
          if (report.checked >= maxChecks) {
            report.deferred = true;
            watch.nextDeal = (start + d) % deals.length;
            return report;
          }
          report.checked++;
          const [challenged] = await read<readonly [boolean, bigint]>('challengeOf', [slotId, epoch]);
          // Under a recorded seed "not challenged" is final (and a slot not filled now cannot be
          // filled again before this epoch); a proof is final once its epoch is over.
          if (!challenged || (await read<boolean>('isProven', [slotId, epoch]))) {
            watch.settled.set(key, epoch);
            continue;
          }
          const outcome = await sendMarketCall(deps.chain, { marketAddress: p.marketAddress, functionName: 'markProofMissing', args: [slotId, epoch] });
          if (outcome.status === 'sent') {
            watch.settled.set(key, epoch);
            report.marked.push({ slotId, epoch });
            deps.log(`marked the proof of slot ${slotId} (deal ${dealId}, column ${column}) for epoch ${epoch} missing`);
          } else if (outcome.status === 'refused') {
            // Already marked by another watcher, or the window just closed: nothing left to do either way.
            watch.settled.set(key, epoch);
            if (outcome.errorName !== 'AlreadyMarked') deps.log(`markProofMissing(${slotId}, ${epoch}) refused: ${outcome.message}`);
          } else {
            deps.log(`markProofMissing(${slotId}, ${epoch}) failed, will retry: ${outcome.message}`);
          }
        }
      }
    }
    watch.nextDeal = start + 1;
  } catch (error) {
    if (!p.signal?.aborted) deps.log(`watching for missing proofs failed: ${errorText(error)}`);
  }
  return report;
}
