import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import hre from 'hardhat';
import type { privateKeyToAccount } from 'viem/accounts';
import { bytesSource, chainPeerSource, masterFromPrivateKey, type PeerSource, upload } from '../../client';
import { DealNotFoundError } from '../../client/errors';
import { readFileHealth } from '../../client/file-health';
import { connectChain } from '../../protocol/chain/connect';
import { randomFileId } from '../../protocol/ids';
import { startTestNetwork, type TestNetwork } from '../../scripts/testkit/network';

const CHUNK = 16 * 1024;

describe('client/file-health: how many intact columns each stripe of a file has, from the chain and the holders', () => {
  let net: TestNetwork;
  let peers: PeerSource;
  let account: ReturnType<typeof privateKeyToAccount>;
  let master: Uint8Array;
  let marketplace: ReturnType<TestNetwork['marketplaceFor']>;
  let stored: Awaited<ReturnType<typeof upload>>;

  const health = (p: { expectedSha256?: (column: number, stripe: number) => string } = {}) =>
    readFileHealth(marketplace, {
      market: net.deployment.contracts.Marketplace,
      registry: net.deployment.contracts.PeerRegistry,
      fileId: stored.fileId,
      dataColumns: 1,
      stripes: stored.chunkCount,
      timeoutMs: 2_000,
      ...p,
    });

  before(async () => {
    net = await startTestNetwork(hre, { peers: 4 });
    const { publicClient } = await connectChain({ rpcUrl: net.rpcUrl });
    peers = chainPeerSource({ publicClient, registry: net.deployment.contracts.PeerRegistry });
    const user = await net.user();
    account = user.account;
    master = masterFromPrivateKey(user.key);
    marketplace = net.marketplaceFor(account);
    stored = await upload(
      { account, chainId: net.chainId, master, peers, marketplace },
      { source: bytesSource(randomBytes(3 * CHUNK + 5)), name: 'health.bin', chunkSize: CHUNK, redundancy: { scheme: 'replicate', replicas: 3 } },
    );
  });
  after(async () => {
    await net.close();
  });

  it('counts every column of every stripe when all holders answer with every shard', async () => {
    const h = await health();
    expect(h).to.deep.include({ columns: 3, dataColumns: 1, stripes: 4, minHealthy: 3, weakestStripes: [0, 1, 2, 3] });
    expect(h.perColumn.map((c) => c.state)).to.deep.equal(['healthy', 'healthy', 'healthy']);
    expect(h.perColumn.map((c) => c.operator)).to.deep.equal(stored.columns.map((c) => c.operator));
  });

  it('does not count a shard whose listed hash is not the one the manifest expects', async () => {
    const h = await health({ expectedSha256: (column, stripe) => (column === 1 && stripe === 2 ? '00'.repeat(32) : expectedHash(column, stripe)) });
    expect(h.minHealthy).to.equal(2);
    expect(h.weakestStripes).to.deep.equal([2]);
    expect(h.perColumn[1]).to.deep.include({ state: 'incomplete', stripesHeld: 3 });
  });

  it('counts a stopped holder as unreachable, for every stripe', async () => {
    const holder = net.peers.find((p) => p.address === stored.columns[0].operator);
    if (!holder) throw new Error('no holder of column 0');
    await net.stopPeer(holder.index);
    try {
      const h = await health();
      expect(h.minHealthy).to.equal(2);
      expect(h.perColumn[0]).to.deep.include({ state: 'unreachable', stripesHeld: 0 });
    } finally {
      await net.restartPeer(holder.index);
    }
  });

  it('refuses a file without a deal with DealNotFoundError', async () => {
    const err = await readFileHealth(marketplace, {
      market: net.deployment.contracts.Marketplace,
      registry: net.deployment.contracts.PeerRegistry,
      fileId: randomFileId(),
      dataColumns: 1,
      stripes: 1,
    }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(DealNotFoundError);
  });

  /** The hash the manifest lists for a column's shard of a stripe (replicas: stripe = chunk). */
  function expectedHash(column: number, stripe: number): string {
    const hashes = Buffer.from(stored.manifest.columns[column].shardSha256, 'base64');
    return hashes.subarray(stripe * 32, stripe * 32 + 32).toString('hex');
  }
});
