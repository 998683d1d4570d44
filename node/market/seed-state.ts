import type { Address, Chain, Hex, PublicClient, Transport } from 'viem';
import { marketAbi } from '../../protocol/chain/market';

/** Blocks after its seed block within which an epoch's seed may be recorded (`blockhash` reaches 256 back). */
export const SEED_WINDOW_BLOCKS = 256n;

const ZERO_SEED = `0x${'0'.repeat(64)}`;

/**
 * Where an epoch's seed stands on chain:
 * - `recorded`: final;
 * - `never`: final too: no seed block was fixed for it (one is fixed only in the epoch before, so
 *   none once the epoch has begun), or its seed block's 256 blocks have passed;
 * - `recordable`: its seed block is mined and a `recordSeed` sent now lands within the window;
 * - `waiting`: its seed block is not mined yet.
 *
 * Only for an epoch that has begun (the current one or earlier). `head` may be given when the caller
 * has read it; it is read only when the seed is not recorded.
 *
 * @example
 * const state = await readSeedState({ publicClient }, { marketAddress, epoch });
 * if (state === 'recordable') await send('recordSeed', [epoch]);
 */
export async function readSeedState(
  deps: { publicClient: PublicClient<Transport, Chain> },
  p: { marketAddress: Address; epoch: bigint; head?: () => Promise<bigint> },
): Promise<'recorded' | 'never' | 'recordable' | 'waiting'> {
  const read = <T>(functionName: string) =>
    deps.publicClient.readContract({ address: p.marketAddress, abi: marketAbi, functionName, args: [p.epoch] } as never) as Promise<T>;
  if ((await read<Hex>('seedOf')) !== ZERO_SEED) return 'recorded';
  const seedBlock = await read<bigint>('seedBlockOf');
  if (seedBlock === 0n) return 'never';
  const head = await (p.head ?? (() => deps.publicClient.getBlockNumber()))();
  // The recording transaction lands in head + 1 or later, which must be after N and within 256.
  if (head >= seedBlock + SEED_WINDOW_BLOCKS) return 'never';
  return seedBlock <= head ? 'recordable' : 'waiting';
}
