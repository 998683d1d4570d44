import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import hre from 'hardhat';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeApp } from '../../../node/app';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { recoverStore } from '../../../node/store/recover';
import { hardhatKey } from '../../../scripts/testkit/chain';
import { assignedShardPut, chainDealDeps, fundOwners, type MarketChain, openTestDeal, startMarketChain } from '../../../scripts/testkit/node/market-chain';
import { randomShard, type ShardTarget, scratchDir, sha256Hex, shardTarget } from '../../../scripts/testkit/node/shard-requests';
import { snapshotStore } from '../../../scripts/testkit/node/store-snapshot';

const node = privateKeyToAccount(generatePrivateKey());
const uploaderKey = hardhatKey(37);
const limits = { capacityBytes: 1 << 30, maxShardBytes: 1 << 20 };

describe('store recovery on open', () => {
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  let chain: MarketChain;
  /** Deals opened on chain for the file ids written so far. */
  const opened = new Set<string>();
  const openDealOf = async (target: ShardTarget) => {
    if (opened.has(target.fileId)) return;
    await openTestDeal(chain, { ownerKey: uploaderKey, dealId: target.fileId, slots: 8, bytesPerSlot: 1n << 26n, durationEpochs: 4 });
    opened.add(target.fileId);
  };
  const writer = () => ({ chain, ownerKey: uploaderKey, node: node.address });

  const put = async (s: NodeStore, target: ShardTarget, body: Uint8Array) => {
    await openDealOf(target);
    const app = createNodeApp({ ...s, identity: { address: node.address, chainId: chain.chainId }, limits, ...chainDealDeps(chain) });
    const req = await assignedShardPut(writer(), { target, body });
    expect((await app.request(req.path, req.init)).status).to.equal(201);
  };
  const reopen = async () => {
    nodeStore.close();
    nodeStore = await openNodeStore({ dataDir: dir.path });
    return nodeStore;
  };

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [uploaderKey]);
  });
  after(async () => {
    await chain.close();
  });
  beforeEach(async () => {
    dir = await scratchDir();
    nodeStore = await openNodeStore({ dataDir: dir.path });
  });
  afterEach(async () => {
    nodeStore.close();
    await dir.remove();
  });

  describe('when the node stopped cleanly', () => {
    it('keeps every stored shard and serves it after reopening', async () => {
      const targets = [shardTarget({ index: 0 }), shardTarget({ index: 'manifest' }), shardTarget({ column: 7, index: 12 })];
      const bodies = targets.map(() => randomShard(3000));
      for (const [i, t] of targets.entries()) await put(nodeStore, t, bodies[i]);
      const reopened = await reopen();
      expect(reopened.recovery).to.deep.equal({ tmpRemoved: 0, rowsDropped: 0, filesDropped: 0, slotsDropped: 0 });
      for (const [i, t] of targets.entries()) {
        expect(reopened.index.getShard(t.slotId, t.index)?.size).to.equal(bodies[i].length);
        expect((await fs.readFile(reopened.store.shardPath(t.slotId, t.index))).equals(Buffer.from(bodies[i]))).to.equal(true);
      }
    });
  });

  describe('when an upload was cut off (a partial file in tmp/)', () => {
    it('empties tmp/', async () => {
      await fs.writeFile(path.join(nodeStore.store.tmpDir, 'abc.part'), randomShard(100));
      const reopened = await reopen();
      expect(reopened.recovery.tmpRemoved).to.equal(1);
      expect(await fs.readdir(reopened.store.tmpDir)).to.deep.equal([]);
    });
  });

  describe('when the node crashed between rename and index insert (a file without a row)', () => {
    it('deletes the file, so it is never served', async () => {
      const target = shardTarget();
      const file = nodeStore.store.shardPath(target.slotId, target.index);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, randomShard(100));
      const reopened = await reopen();
      expect(reopened.recovery.filesDropped).to.equal(1);
      await expect(fs.stat(file)).to.be.rejectedWith(/ENOENT/);
      expect(reopened.index.getShard(target.slotId, target.index)).to.equal(undefined);
    });
  });

  describe('when an indexed file is missing', () => {
    it('drops its row, and the slot when it has no shard left', async () => {
      const target = shardTarget();
      await put(nodeStore, target, randomShard(100));
      await fs.rm(nodeStore.store.shardPath(target.slotId, target.index));
      const reopened = await reopen();
      expect(reopened.recovery).to.include({ rowsDropped: 1, slotsDropped: 1 });
      expect(reopened.index.usage()).to.deep.equal({ bytes: 0, shards: 0, slots: 0 });
    });
  });

  describe('when an indexed file has the wrong size', () => {
    it('drops its row and the file, and keeps the other shards of the slot', async () => {
      const target = shardTarget({ index: 0 });
      const sibling = { ...target, index: 1 };
      await put(nodeStore, target, randomShard(100));
      await put(nodeStore, sibling, randomShard(100));
      await fs.truncate(nodeStore.store.shardPath(target.slotId, target.index), 50);
      const reopened = await reopen();
      expect(reopened.recovery).to.include({ rowsDropped: 1, filesDropped: 1, slotsDropped: 0 });
      expect(reopened.index.getShard(target.slotId, 0)).to.equal(undefined);
      expect(reopened.index.getShard(target.slotId, 1)?.size).to.equal(100);
      expect(reopened.index.usage()).to.deep.equal({ bytes: 100, shards: 1, slots: 1 });
    });
  });

  describe('when stray files lie under slots/', () => {
    it('deletes them', async () => {
      await fs.writeFile(path.join(nodeStore.store.slotsDir, 'junk'), 'x');
      await fs.mkdir(path.join(nodeStore.store.slotsDir, 'ab', 'not-a-slot'), { recursive: true });
      const target = shardTarget();
      await put(nodeStore, target, randomShard(10));
      await fs.writeFile(path.join(path.dirname(nodeStore.store.shardPath(target.slotId, 0)), 'x.tmp'), 'x');
      const reopened = await reopen();
      expect(reopened.recovery.filesDropped).to.equal(3);
      const snap = await snapshotStore(reopened);
      expect(snap.files).to.deep.equal([reopened.store.shardPath(target.slotId, 0)]);
    });
  });

  describe('when many slots are damaged in different ways (one pass merging slot directories with the index)', () => {
    /** Indexes a shard and writes its file as `put` would, without the chain. */
    const store = async (s: NodeStore, target: ShardTarget, body: Uint8Array) => {
      const file = s.store.shardPath(target.slotId, target.index);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, body);
      s.index.commitShard({
        ...target,
        owner: node.address,
        size: body.length,
        sha256: sha256Hex(body),
        capacityBytes: 1 << 30,
        now: 1,
      });
    };

    it('drops exactly the broken rows and files, whatever the order of the slots, and keeps the rest', async () => {
      const targets = Array.from({ length: 40 }, (_, column) => shardTarget({ column }));
      // Sorted by slot id, so the damage below lands at the start, in the middle and at the end of the merge.
      targets.sort((a, b) => (a.slotId < b.slotId ? -1 : 1));
      for (const t of targets) for (const index of [0, 1, 'manifest'] as const) await store(nodeStore, { ...t, index }, randomShard(64));
      const slotDir = (t: ShardTarget) => path.dirname(nodeStore.store.shardPath(t.slotId, 0));
      const gone = [targets[0], targets[17], targets[39]];
      for (const t of gone) await fs.rm(slotDir(t), { recursive: true });
      // A file where a slot's directory belongs.
      await fs.rm(slotDir(targets[5]), { recursive: true });
      await fs.writeFile(slotDir(targets[5]), 'x');
      // A directory where a shard belongs, a short file, an unindexed shard and a non-canonical name.
      await fs.rm(nodeStore.store.shardPath(targets[8].slotId, 1));
      await fs.mkdir(nodeStore.store.shardPath(targets[8].slotId, 1));
      await fs.truncate(nodeStore.store.shardPath(targets[9].slotId, 'manifest'), 10);
      await fs.writeFile(nodeStore.store.shardPath(targets[10].slotId, 7), 'x');
      await fs.writeFile(path.join(slotDir(targets[11]), '01'), 'x');
      // A directory for a slot the index does not know.
      const unknown = shardTarget({ column: 99 });
      await fs.mkdir(slotDir(unknown), { recursive: true });
      await fs.writeFile(nodeStore.store.shardPath(unknown.slotId, 0), 'x');

      const reopened = await reopen();
      // Rows: 3 whole slots × 3, 3 of the file-as-directory slot, one directory-as-shard, one short file.
      expect(reopened.recovery).to.deep.equal({ tmpRemoved: 0, rowsDropped: 9 + 3 + 2, filesDropped: 1 + 1 + 1 + 1 + 1 + 1, slotsDropped: 4 });
      const usage = reopened.index.usage();
      expect(usage.slots).to.equal(36);
      expect(usage.shards).to.equal(36 * 3 - 2);
      const snap = await snapshotStore(reopened);
      expect(snap.files).to.have.length(usage.shards);
      for (const file of snap.files) {
        const [slotId, name] = file.split(path.sep).slice(-2);
        expect(reopened.index.getShard(slotId as ShardTarget['slotId'], name === 'manifest' ? 'manifest' : Number(name))).to.not.equal(undefined);
      }
    });

    it('finds nothing more to repair when run again', async () => {
      const targets = Array.from({ length: 5 }, (_, column) => shardTarget({ column }));
      for (const t of targets) await store(nodeStore, t, randomShard(32));
      await fs.truncate(nodeStore.store.shardPath(targets[2].slotId, 0), 1);
      const reopened = await reopen();
      expect(reopened.recovery).to.deep.equal({ tmpRemoved: 0, rowsDropped: 1, filesDropped: 1, slotsDropped: 1 });
      expect(await recoverStore({ store: reopened.store, index: reopened.index })).to.deep.equal({
        tmpRemoved: 0,
        rowsDropped: 0,
        filesDropped: 0,
        slotsDropped: 0,
      });
    });
  });

  describe('when the node is killed with SIGKILL while shards are being written', () => {
    it('keeps every acknowledged shard, and every indexed shard has its hash', async function () {
      this.timeout(120_000);
      const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', CHILD_SCRIPT], {
        cwd: path.resolve(__dirname, '../../..'),
        env: { ...process.env, DATA_DIR: dir.path, NODE_ADDRESS: node.address, RPC_URL: chain.rpcUrl, MARKET: chain.market, TS_NODE_TRANSPILE_ONLY: '1' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      nodeStore.close();
      const dealId = (await openTestDeal(chain, { ownerKey: uploaderKey, slots: 6, bytesPerSlot: 1n << 30n, durationEpochs: 4 })) as ShardTarget['fileId'];
      const acknowledged: { target: ShardTarget; sha256: string }[] = [];
      try {
        const port = await new Promise<number>((resolve, reject) => {
          child.stdout.on('data', (data: Buffer) => {
            const match = /PORT (\d+)/.exec(data.toString());
            if (match) resolve(Number(match[1]));
          });
          child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
        });
        let stop = false;
        const worker = async (w: number) => {
          for (let i = 0; !stop; i++) {
            const target = shardTarget({ fileId: dealId, column: w, index: i });
            const body = randomShard(64 * 1024 + ((i * 997) % 4096));
            const req = await assignedShardPut(writer(), { target, body });
            try {
              const res = await fetch(`http://127.0.0.1:${port}${req.path}`, req.init);
              if (res.status === 201) acknowledged.push({ target, sha256: sha256Hex(body) });
            } catch {
              return; // the node was killed mid-request
            }
          }
        };
        const workers = Array.from({ length: 6 }, (_, w) => worker(w));
        while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 20));
        child.kill('SIGKILL');
        stop = true;
        await Promise.all(workers);
        await new Promise((r) => (child.exitCode === null && child.signalCode === null ? child.once('exit', r) : r(null)));
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }

      nodeStore = await openNodeStore({ dataDir: dir.path });
      const rows = [...nodeStore.index.allShards()];
      expect(rows.length).to.be.greaterThanOrEqual(acknowledged.length);
      for (const { target, sha256 } of acknowledged) expect(nodeStore.index.getShard(target.slotId, target.index)?.sha256).to.equal(sha256);
      for (const row of rows) {
        const bytes = await fs.readFile(nodeStore.store.shardPath(row.slotId, row.index));
        expect(createHash('sha256').update(bytes).digest('hex')).to.equal(row.sha256);
        expect(bytes.byteLength).to.equal(row.size);
      }
      const snap = await snapshotStore(nodeStore);
      expect(snap.tmp).to.deep.equal([]);
      expect(snap.files).to.have.length(rows.length);
      expect(snap.usage.shards).to.equal(rows.length);
      expect(snap.usage.bytes).to.equal(rows.reduce((sum, r) => sum + r.size, 0));
    });
  });
});

// The child opens the store and serves the node's HTTP app, as \`startNode\` does (deals read from the test chain).
const CHILD_SCRIPT = `
const { serve } = require('@hono/node-server');
const { createPublicClient, http } = require('viem');
const { openNodeStore } = require('./node/store/open-node-store');
const { createNodeApp } = require('./node/app');
const { createChainDeals } = require('./node/market/chain-deals');
(async () => {
  const nodeStore = await openNodeStore({ dataDir: process.env.DATA_DIR });
  const publicClient = createPublicClient({ transport: http(process.env.RPC_URL) });
  const market = process.env.MARKET;
  const deals = createChainDeals({ publicClient }, { market });
  const app = createNodeApp({ ...nodeStore, identity: { address: process.env.NODE_ADDRESS, chainId: 31337 }, limits: { capacityBytes: 1 << 30, maxShardBytes: 1 << 20 }, deals, marketAddress: market });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => console.log('PORT ' + info.port));
})();
`;
