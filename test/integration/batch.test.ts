import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import hre from 'hardhat';
import type { Hex } from 'viem';
import type { privateKeyToAccount } from 'viem/accounts';
import {
  bytesSource,
  chainPeerSource,
  download,
  InvalidHandleError,
  ManifestError,
  masterFromPrivateKey,
  type PeerSource,
  type Redundancy,
  upload,
} from '../../client';
import { selfIssuedAccess } from '../../client/access/self-issued-access';
import { decodeBatchHeader } from '../../client/batch/batch-header';
import { parseAnyHandle } from '../../client/handle';
import { getShard } from '../../client/transport/get-shard';
import { uploadBatch } from '../../client/upload-batch';
import { marketAbi } from '../../protocol/chain/market';
import { MANIFEST_INDEX } from '../../protocol/column';
import { startTestNetwork, type TestNetwork } from '../../scripts/testkit/network';

const CHUNK = 64 * 1024;
const KiB = 1024;
const MiB = 1024 * 1024;

describe('uploading files together as one batch: one deal, one set of columns', () => {
  let net: TestNetwork;
  let peers: PeerSource;
  let account: ReturnType<typeof privateKeyToAccount>;
  let master: Uint8Array;
  let marketplace: ReturnType<TestNetwork['marketplaceFor']>;

  before(async () => {
    net = await startTestNetwork(hre, { peers: 7 });
    marketplace = net.marketplaceFor((await net.user()).account);
    peers = chainPeerSource({ publicClient: marketplace.publicClient, registry: net.deployment.contracts.PeerRegistry });
    const user = await net.user();
    account = user.account;
    master = masterFromPrivateKey(user.key);
  });

  after(async () => {
    await net.close();
  });

  const deps = () => ({ account, chainId: net.chainId, master, peers, marketplace });

  const get = async (handle: string) => {
    const parts: Uint8Array[] = [];
    for await (const part of download({ peers, marketplace, account }, { handle })) parts.push(part);
    return Buffer.concat(parts);
  };

  const events = async (eventName: 'DealOpened' | 'DealRootCommitted' | 'SlotFilled', id: Hex, fromBlock: bigint) =>
    marketplace.publicClient.getContractEvents({ address: marketplace.market, abi: marketAbi, eventName, args: { id }, fromBlock });

  /** Gas of every transaction that served these deals since `fromBlock`: the owner's (approve, open, commit) and the peers' fills. */
  const gasOf = async (dealIds: Hex[], fromBlock: bigint) => {
    const hashes = new Set<Hex>();
    const to = await marketplace.publicClient.getBlockNumber({ cacheTime: 0 });
    for (let n = fromBlock; n <= to; n++) {
      const block = await marketplace.publicClient.getBlock({ blockNumber: n, includeTransactions: true });
      for (const tx of block.transactions) if (tx.from.toLowerCase() === account.address.toLowerCase()) hashes.add(tx.hash);
    }
    for (const id of dealIds) for (const e of await events('SlotFilled', id, fromBlock)) hashes.add(e.transactionHash);
    let gas = 0n;
    for (const hash of hashes) gas += (await marketplace.publicClient.getTransactionReceipt({ hash })).gasUsed;
    return gas;
  };

  for (const redundancy of [
    { scheme: 'rs', dataShards: 4, parityShards: 2 },
    { scheme: 'replicate', replicas: 3 },
  ] as Redundancy[]) {
    const label = redundancy.scheme === 'rs' ? 'RS(4,2)' : 'replicate:3';
    describe(`under ${label}`, () => {
      const sizes = [0, 1, 4 * KiB, MiB + 1];
      let contents: Buffer[];
      let result: Awaited<ReturnType<typeof uploadBatch>>;
      let fromBlock: bigint;

      before(async () => {
        contents = sizes.map((n) => randomBytes(n));
        fromBlock = (await marketplace.publicClient.getBlockNumber({ cacheTime: 0 })) + 1n;
        result = await uploadBatch(deps(), {
          files: contents.map((bytes, i) => ({ source: bytesSource(bytes), name: `file-${i}.bin`, mediaType: 'application/octet-stream' })),
          redundancy,
          chunkSize: CHUNK,
        });
      });

      it('opens one deal under a fresh id, commits one root and sees one fill per column', async () => {
        const columns = redundancy.scheme === 'rs' ? 6 : 3;
        expect(result.files.map((f) => f.fileId)).to.not.include(result.dealId);
        expect(new Set(result.files.map((f) => f.fileId)).size).to.equal(sizes.length);
        const opened = await marketplace.publicClient.getContractEvents({
          address: marketplace.market,
          abi: marketAbi,
          eventName: 'DealOpened',
          args: { owner: account.address },
          fromBlock,
        });
        expect(opened.map((e) => e.args.id)).to.deep.equal([result.dealId]);
        expect(await events('DealRootCommitted', result.dealId, fromBlock)).to.have.length(1);
        expect(await events('SlotFilled', result.dealId, fromBlock)).to.have.length(columns);
        expect(result.deal?.filled).to.have.length(columns);
        expect(result.columns).to.have.length(columns);
      });

      it('gives every file back byte for byte through its own handle', async () => {
        for (const [i, f] of result.files.entries()) {
          expect(f.size).to.equal(sizes[i]);
          const where = parseAnyHandle(f.handle);
          expect(where.dealId).to.equal(result.dealId);
          expect(where.fileId).to.equal(f.fileId);
          expect(Buffer.compare(await get(f.handle), contents[i])).to.equal(0, `file ${i} (${sizes[i]} bytes)`);
        }
      });

      it('lays the files out one after another, their manifests after all stripes, the clear batch header at `manifest`', async () => {
        const k = redundancy.scheme === 'rs' ? redundancy.dataShards : 1;
        let next = 0;
        for (const [i, f] of result.files.entries()) {
          expect(f.firstShard).to.equal(next);
          next += Math.ceil(Math.ceil(sizes[i] / CHUNK) / k);
        }
        expect(result.files.map((f) => f.manifestIndex)).to.deep.equal(sizes.map((_, i) => next + i));
        const c = result.columns[0];
        const access = await selfIssuedAccess({ account }, { chainId: net.chainId, market: marketplace.market, dealId: result.dealId });
        const header = decodeBatchHeader(await getShard({ access }, { endpoint: c.endpoint, fileId: result.dealId, column: 0, index: MANIFEST_INDEX }));
        expect(header).to.deep.equal({ redundancy, chunkSize: CHUNK, shardSize: CHUNK + 16, shardCount: next, entryCount: sizes.length });
      });

      it("does not open another file with one file's key: ManifestError", async () => {
        const [a, b] = [parseAnyHandle(result.files[2].handle), parseAnyHandle(result.files[3].handle)];
        // file 2's id and key, pointed at file 3's manifest and stripes
        const crossed = result.files[2].handle.replace(`?m=${a.manifestIndex}&o=${a.firstShard}`, `?m=${b.manifestIndex}&o=${b.firstShard}`);
        expect(crossed).to.not.equal(result.files[2].handle);
        const err = await get(crossed).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(ManifestError);
      });
    });
  }

  it('refuses a malformed batch handle with InvalidHandleError', async () => {
    const good = `dhost://${'ab'.repeat(32)}/${'cd'.repeat(32)}?m=5&o=2#${Buffer.alloc(32, 1).toString('base64url')}`;
    expect(parseAnyHandle(good).manifestIndex).to.equal(5);
    const bad = [
      good.replace('?m=5&o=2', '?m=5'),
      good.replace('?m=5&o=2', '?m=2&o=5'),
      good.replace('?m=5&o=2', '?m=05&o=2'),
      good.replace('?m=5&o=2', '?m=4294967295&o=2'),
      good.replace('?m=5&o=2', '?o=2&m=5'),
      good.replace(`/${'cd'.repeat(32)}`, `/${'cd'.repeat(31)}`),
      good.replace(`/${'cd'.repeat(32)}`, ''),
      good.replace('dhost://', 'dhost:/'),
      `${good}x`,
    ];
    for (const handle of bad) {
      expect(() => parseAnyHandle(handle), handle).to.throw(InvalidHandleError);
      const err = await get(handle).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, handle).to.be.instanceOf(InvalidHandleError);
    }
  });

  // 100 against 100 (8 minutes): npx hardhat run scripts/bench/batch.ts. Here 100 against 10: a single upload's gas does not depend on how many came before.
  it('costs far less gas per file: a batch of 100 one-byte files against single uploads', async function () {
    this.timeout(600_000);
    const redundancy: Redundancy = { scheme: 'rs', dataShards: 4, parityShards: 2 };
    const count = 100;
    const singleCount = 10;
    let from = (await marketplace.publicClient.getBlockNumber({ cacheTime: 0 })) + 1n;
    const batch = await uploadBatch(deps(), {
      files: Array.from({ length: count }, (_, i) => ({ source: bytesSource(randomBytes(1)), name: `one-${i}` })),
      redundancy,
      chunkSize: CHUNK,
    });
    const batchGas = await gasOf([batch.dealId], from);
    for (const f of batch.files.slice(0, 3)) expect(await get(f.handle)).to.have.length(1);

    from = (await marketplace.publicClient.getBlockNumber({ cacheTime: 0 })) + 1n;
    const singles: Hex[] = [];
    for (let i = 0; i < singleCount; i++) {
      const r = await upload(deps(), { source: bytesSource(randomBytes(1)), name: `single-${i}`, redundancy, chunkSize: CHUNK, pollIntervalMs: 200 });
      singles.push(r.fileId as Hex);
    }
    const singleGas = await gasOf(singles, from);
    const perBatchFile = batchGas / BigInt(count);
    const perSingleFile = singleGas / BigInt(singleCount);
    console.log(
      `      gas per one-byte file under RS(4,2), owner and fills: batch of ${count}: ${perBatchFile} (total ${batchGas}); ${singleCount} single uploads: ${perSingleFile} (total ${singleGas}); ${Number((perSingleFile * 10n) / perBatchFile) / 10}× less per file`,
    );
    expect(perBatchFile * 10n < perSingleFile).to.equal(true);
  });
});
