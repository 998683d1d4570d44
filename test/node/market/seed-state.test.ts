import { expect } from 'chai';
import type { Chain, PublicClient, Transport } from 'viem';
import { readSeedState, SEED_WINDOW_BLOCKS } from '../../../node/market/seed-state';

const MARKET = '0x00000000000000000000000000000000000000cc' as const;
const SEED = `0x${'11'.repeat(32)}`;
const NO_SEED = `0x${'0'.repeat(64)}`;

/** A chain answering `seedOf`, `seedBlockOf` and the head as given, counting the head's reads. */
function chainWith(answer: { seed: string; seedBlock: bigint; head: bigint }) {
  const reads = { head: 0 };
  const publicClient = {
    readContract: async ({ functionName }: { functionName: string }) => (functionName === 'seedOf' ? answer.seed : answer.seedBlock),
    getBlockNumber: async () => {
      reads.head += 1;
      return answer.head;
    },
  } as unknown as PublicClient<Transport, Chain>;
  return { publicClient, reads };
}

describe('node/market/seed-state: where an epoch’s seed stands', () => {
  it('is recorded once the seed is set, without reading the head', async () => {
    const chain = chainWith({ seed: SEED, seedBlock: 100n, head: 1_000n });
    expect(await readSeedState(chain, { marketAddress: MARKET, epoch: 3n })).to.equal('recorded');
    expect(chain.reads.head).to.equal(0);
  });

  it('is never when no seed block was fixed (it can be fixed only in the epoch before)', async () => {
    expect(await readSeedState(chainWith({ seed: NO_SEED, seedBlock: 0n, head: 5n }), { marketAddress: MARKET, epoch: 3n })).to.equal('never');
  });

  it('is recordable from the block after its seed block until the window closes, then never', async () => {
    const at = (head: bigint) => readSeedState(chainWith({ seed: NO_SEED, seedBlock: 100n, head }), { marketAddress: MARKET, epoch: 3n });
    expect(await at(99n)).to.equal('waiting');
    expect(await at(100n)).to.equal('recordable'); // the transaction lands in 101
    expect(await at(100n + SEED_WINDOW_BLOCKS - 1n)).to.equal('recordable'); // lands in N + 256, the last allowed
    expect(await at(100n + SEED_WINDOW_BLOCKS)).to.equal('never');
  });

  it('uses the head the caller gives', async () => {
    const chain = chainWith({ seed: NO_SEED, seedBlock: 100n, head: 0n });
    expect(await readSeedState(chain, { marketAddress: MARKET, epoch: 3n, head: async () => 150n })).to.equal('recordable');
    expect(chain.reads.head).to.equal(0);
  });
});
