/**
 * `npm run bench:scale`: how the client's chain reads and the node's start-up grow.
 *
 *   npx hardhat run scripts/bench/scale.ts
 *
 * Client, on the in-process Hardhat network: registers peers up to each size in SCALE_PEERS
 * (default 100,300,1000; the fixture's 6 peers count) and opens deals of one owner up to each size
 * in SCALE_DEALS (default 1000,10000), then times and counts the JSON-RPC calls of
 * `chainPeerSource(...).listPeers()`, of `placeColumns` over that source (its `/status` probe
 * answers at once from a table, so only chain reads and CPU are measured, no network) and of
 * `listDeals`. Calls are counted by a viem `custom` transport wrapped around the provider (one
 * request = one call; viem's JSON-RPC batching is off in the client, as in `connectChain`).
 * Set-up transactions come from impersonated accounts (`hardhat_impersonateAccount`,
 * `hardhat_setBalance`: Hardhat-only methods, here only), one block each.
 *
 * Node: writes SCALE_SHARDS shards (default 10000,100000; 10 shards of 64 B per slot) into a
 * scratch data directory — index rows by bulk SQL on the store's own schema, real files where the
 * store puts them — and times `openNodeStore` (SQLite open + recovery) in a fresh child process,
 * with its RSS.
 *
 * SCALE_ONLY=node or SCALE_ONLY=client runs one half and keeps the other from the last result.
 * Writes bench/results/scale.json.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import Database from 'better-sqlite3';
import { type Address, type Chain, createPublicClient, custom, encodeFunctionData, type Hex, type PublicClient, type Transport } from 'viem';
import { listDeals } from '../../client/deal/list-deals';
import { chainPeerSource, staticPeerSource } from '../../client/peer-source';
import { placeColumns, type StatusProbe } from '../../client/placement';
import { seededRandom } from '../../client/seeded-random';
import { nodeDefaults } from '../../node/config';
import { openNodeStore } from '../../node/store/open-node-store';
import { recoverStore } from '../../node/store/recover';
import { createSlotIndex } from '../../node/store/slot-index';
import { marketplaceAbi, peerRegistryAbi, rewardTokenAbi } from '../../protocol/chain/generated/abis';
import { readActivePeers } from '../../protocol/chain/peers';
import { packageRoot } from '../../protocol/package-root';

const MiB = 2 ** 20;
const SHARDS_PER_SLOT = 10;
const SHARD_BYTES = 64;
const sizes = (name: string, fallback: string) =>
  (process.env[name] ?? fallback)
    .split(',')
    .map(Number)
    .sort((a, b) => a - b);

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const mb = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;
/** Peak resident set of this process so far, MB (`maxRSS` is in KiB). */
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 102.4) / 10;

/**
 * Runs `op`, returning its result, wall time, the CPU time of this process meanwhile (user +
 * system: the client and the in-process chain, less sensitive than wall time to other load on the
 * machine), heap growth (result still held) and the process RSS.
 */
async function measure<T>(op: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number; heapMB: number; rssMB: number }> {
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await op();
  const ms = Math.round((performance.now() - t0) * 10) / 10;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = Math.round((cpu.user + cpu.system) / 100) / 10;
  gc();
  const heapMB = mb(process.memoryUsage().heapUsed - heapBefore);
  return { value, ms, cpuMs, heapMB, rssMB: mb(process.memoryUsage().rss) };
}

// ---------------------------------------------------------------- node start-up (child process)

/** Adds shards to `dataDir` until it holds `total`: bulk SQL on the store's schema, real files. */
function growDataDir(dataDir: string, total: number): void {
  fs.mkdirSync(path.join(dataDir, 'slots'), { recursive: true });
  fs.mkdirSync(path.join(dataDir, 'tmp'), { recursive: true });
  const db = new Database(path.join(dataDir, nodeDefaults.indexFileName));
  db.pragma('journal_mode = WAL');
  const index = createSlotIndex({ db });
  const have = index.usage().shards;
  const insertSlot = db.prepare('INSERT INTO slots (slot_id, file_id, col, owner, created_at) VALUES (?, ?, ?, ?, ?)');
  const insertShard = db.prepare('INSERT INTO shards (slot_id, idx, size, sha256, stored_at) VALUES (?, ?, ?, ?, ?)');
  const owner = '0x00000000000000000000000000000000000000aa';
  const body = Buffer.alloc(SHARD_BYTES, 7);
  const sha = '0'.repeat(64);
  const write = db.transaction((slots: number) => {
    for (let s = 0; s < slots; s++) {
      const slotId = `0x${randomBytes(32).toString('hex')}`;
      insertSlot.run(slotId, `0x${randomBytes(32).toString('hex')}`, 0, owner, 1);
      const dir = path.join(dataDir, 'slots', slotId.slice(2, 4), slotId);
      fs.mkdirSync(dir, { recursive: true });
      for (let i = 0; i < SHARDS_PER_SLOT; i++) {
        insertShard.run(slotId, i, SHARD_BYTES, sha, 1);
        fs.writeFileSync(path.join(dir, String(i)), body);
      }
    }
  });
  write(Math.ceil((total - have) / SHARDS_PER_SLOT));
  db.close();
}

/** In the child: opens the store once and prints what it cost. */
async function childOpen(dataDir: string): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const nodeStore = await openNodeStore({ dataDir });
  const ms = performance.now() - t0;
  const usage = nodeStore.index.usage();
  // Recovery's parts alone, on the open store: streaming every shard row; recovery again (nothing
  // left to repair, so exactly its one pass: scan slots/, merge with the index, a readdir per slot
  // and a stat per shard).
  let t = performance.now();
  for (const _row of nodeStore.index.allShards());
  const rowsMs = performance.now() - t;
  t = performance.now();
  await recoverStore({ store: nodeStore.store, index: nodeStore.index });
  const recoverMs = performance.now() - t;
  nodeStore.close();
  const parts = { rowsMs: Math.round(rowsMs), recoverMs: Math.round(recoverMs) };
  process.stdout.write(
    `${JSON.stringify({ ms: Math.round(ms), parts, rssBeforeMB: mb(rssBefore), rssAfterMB: mb(process.memoryUsage().rss), peakRssMB: peakRssMb(), shards: usage.shards, slots: usage.slots, recovery: nodeStore.recovery })}\n`,
  );
}

function openInChild(dataDir: string): Record<string, unknown> {
  const out = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename], {
    env: { ...process.env, SCALE_CHILD: 'open', SCALE_DIR: dataDir, TS_NODE_TRANSPILE_ONLY: '1' },
    encoding: 'utf8',
    maxBuffer: 16 * MiB,
  });
  if (out.status !== 0) throw new Error(`child failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
}

function benchNode(): Record<string, unknown>[] {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-scale-'));
  const rows: Record<string, unknown>[] = [];
  try {
    for (const shards of sizes('SCALE_SHARDS', '10000,100000')) {
      const t0 = performance.now();
      growDataDir(dataDir, shards);
      const writeMs = Math.round(performance.now() - t0);
      openInChild(dataDir); // first open after writing: warms the page cache, checkpoints the WAL
      const runs = [openInChild(dataDir), openInChild(dataDir)];
      const best = runs.reduce((a, b) => ((a.ms as number) <= (b.ms as number) ? a : b));
      rows.push({ shards, slots: best.slots, writeMs, ...best, msRuns: runs.map((r) => r.ms) });
      process.stdout.write(`node start-up, ${shards} shards: ${best.ms} ms, peak RSS ${best.peakRssMB} MB\n`);
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}

// ---------------------------------------------------------------- client (in-process Hardhat)

interface Counter {
  calls: Map<string, number>;
  reset(): void;
  total(): number;
}

async function benchClient(): Promise<{ peers: Record<string, unknown>[]; deals: Record<string, unknown>[]; setup: Record<string, number> }> {
  const hre = await import('hardhat');
  const { deployMarket, STAKE } = await import('../testkit/market/fixture');
  const provider = hre.network.provider;
  const rpc = (method: string, params: unknown[] = []) => provider.request({ method, params });

  const f = await deployMarket({}, 'Marketplace');
  const registry = (await f.registry.getAddress()) as Address;
  const market = (await f.market.getAddress()) as Address;
  const token = (await f.token.getAddress()) as Address;
  const admin = f.admin.address as Address;
  const owner = f.owners[0].address as Address;

  const counter: Counter = {
    calls: new Map(),
    reset() {
      this.calls.clear();
    },
    total() {
      return [...this.calls.values()].reduce((s, n) => s + n, 0);
    },
  };
  const publicClient = createPublicClient({
    transport: custom({
      request: async ({ method, params }: { method: string; params?: unknown[] }) => {
        counter.calls.set(method, (counter.calls.get(method) ?? 0) + 1);
        return provider.request({ method, params });
      },
    }),
  }) as PublicClient<Transport, Chain | undefined>;

  const setup = { registerMs: 0, openDealsMs: 0, txs: 0 };
  /**
   * Sends every tx unsigned (impersonated senders) with explicit nonce and gas, so nothing is
   * estimated. Automine stays on: Hardhat mines a one-tx block in ~4 ms, while with automine off
   * each send into a pool already holding n txs of the same sender took time growing with n
   * (~50 ms each at 200), so big manual blocks were slower.
   */
  const sendAll = async (txs: { from: Address; to: Address; data: Hex; nonce: number; gas: number }[]) => {
    let last = '';
    for (const tx of txs) {
      last = (await rpc('eth_sendTransaction', [
        { from: tx.from, to: tx.to, data: tx.data, nonce: `0x${tx.nonce.toString(16)}`, gas: `0x${tx.gas.toString(16)}` },
      ])) as string;
    }
    setup.txs += txs.length;
    const receipt = (await rpc('eth_getTransactionReceipt', [last])) as { status: string } | null;
    if (receipt?.status !== '0x1') throw new Error(`set-up transaction failed: ${last}`);
  };
  const nonceOf = async (a: Address) => Number(await rpc('eth_getTransactionCount', [a, 'pending']));

  const peerRows: Record<string, unknown>[] = [];
  let registered = f.peers.length;
  const probeTable = new Map<string, { address: Address }>();
  for (const p of f.peers.entries()) probeTable.set(`https://peer${p[0]}.example.org`, { address: p[1].address as Address });
  for (const target of sizes('SCALE_PEERS', '100,300,1000')) {
    const t0 = performance.now();
    const fresh: Address[] = [];
    for (let i = registered; i < target; i++) {
      const a = `0x${(0x5ca1e000000 + i).toString(16).padStart(40, '0')}` as Address;
      fresh.push(a);
      await rpc('hardhat_impersonateAccount', [a]);
      await rpc('hardhat_setBalance', [a, '0x56bc75e2d63100000']); // 100 ETH
    }
    let adminNonce = await nonceOf(admin);
    await sendAll(
      fresh.flatMap((a) => [
        {
          from: admin,
          to: token,
          nonce: adminNonce++,
          gas: 100_000,
          data: encodeFunctionData({ abi: rewardTokenAbi, functionName: 'transfer', args: [a, STAKE] }),
        },
        { from: a, to: token, nonce: 0, gas: 100_000, data: encodeFunctionData({ abi: rewardTokenAbi, functionName: 'approve', args: [registry, STAKE] }) },
      ]),
    );
    await sendAll(
      fresh.map((a, j) => {
        const endpoint = `https://peer${registered + j}.example.org`;
        probeTable.set(endpoint, { address: a });
        return {
          from: a,
          to: registry,
          nonce: 1,
          gas: 600_000,
          data: encodeFunctionData({ abi: peerRegistryAbi, functionName: 'register', args: [endpoint, 1n << 40n, 10n ** 15n, STAKE] }),
        };
      }),
    );
    setup.registerMs += Math.round(performance.now() - t0);
    registered = target;

    const source = chainPeerSource({ publicClient, registry, market });
    counter.reset();
    const list = await measure(() => source.listPeers());
    const listCalls = Object.fromEntries(counter.calls);
    const listTotal = counter.total();
    // The same list read as before the batched views (one `ledger` per peer), for comparison under the same load.
    counter.reset();
    const perPeer = await measure(async () => {
      const active = await readActivePeers({ publicClient }, { registry });
      return Promise.all(active.map((p) => publicClient.readContract({ address: market, abi: marketplaceAbi, functionName: 'ledger', args: [p.operator] })));
    });
    const perPeerTotal = counter.total();
    if (list.value.length !== target) throw new Error(`listed ${list.value.length} peers, expected ${target}`);

    let probes = 0;
    const probe: StatusProbe = async ({ endpoint }) => {
      probes++;
      const row = probeTable.get(endpoint);
      if (!row) throw new Error('unknown peer');
      return {
        status: {
          address: row.address,
          chainId: 31337,
          version: '0.1.0',
          capacityBytes: 2 ** 40,
          usedBytes: 0,
          freeBytes: 2 ** 40,
          slots: 0,
          shards: 0,
          maxShardBytes: 17 * MiB,
          uptimeSeconds: 86_400,
        },
        rttMs: 20,
      };
    };
    const placeParams = { columns: 6, columnBytes: 64 * MiB, shardBytes: MiB + 16, chainId: 31337 };
    counter.reset();
    probes = 0;
    const place = await measure(() => placeColumns({ peers: source, probe, random: seededRandom(1) }, placeParams));
    const placeTotal = counter.total();
    const placeProbes = probes;
    const cpu = await measure(() => placeColumns({ peers: staticPeerSource(list.value), probe, random: seededRandom(1) }, placeParams));
    peerRows.push({
      peers: target,
      listPeers: { ms: list.ms, cpuMs: list.cpuMs, rpcCalls: listTotal, byMethod: listCalls, heapMB: list.heapMB, rssMB: list.rssMB },
      listPeersOneLedgerPerPeer: { ms: perPeer.ms, cpuMs: perPeer.cpuMs, rpcCalls: perPeerTotal },
      placeColumns: {
        ms: place.ms,
        cpuMs: place.cpuMs,
        rpcCalls: placeTotal,
        statusProbes: placeProbes,
        heapMB: place.heapMB,
        rssMB: place.rssMB,
        spares: place.value.spares.length,
      },
      placeColumnsCpuOnly: { ms: cpu.ms },
    });
    process.stdout.write(
      `peers ${target}: listPeers ${list.ms} ms (CPU ${list.cpuMs} ms), ${listTotal} calls (one ledger per peer: ${perPeer.ms} ms, CPU ${perPeer.cpuMs} ms, ${perPeerTotal} calls); placeColumns ${place.ms} ms, ${placeTotal} calls, ${placeProbes} probes (CPU alone ${cpu.ms} ms)\n`,
    );
  }

  const dealRows: Record<string, unknown>[] = [];
  let opened = 0;
  for (const target of sizes('SCALE_DEALS', '1000,10000')) {
    const t0 = performance.now();
    let nonce = await nonceOf(owner);
    const batch = 1000;
    for (let start = opened; start < target; start += batch) {
      const txs = [];
      for (let i = start; i < Math.min(target, start + batch); i++) {
        const id = `0x${randomBytes(32).toString('hex')}` as Hex;
        txs.push({
          from: owner,
          to: market,
          nonce: nonce++,
          gas: 400_000,
          data: encodeFunctionData({ abi: marketplaceAbi, functionName: 'openDeal', args: [id, 6, BigInt(MiB / 4), 100, 1n] }),
        });
      }
      await sendAll(txs);
    }
    setup.openDealsMs += Math.round(performance.now() - t0);
    opened = target;

    counter.reset();
    const deals = await measure(() => listDeals({ publicClient, market }, { owner }));
    const dealsCalls = counter.total();
    const dealsByMethod = Object.fromEntries(counter.calls);
    // The same list read as before `dealRecordsOf` (`dealsOf` pages of 100, then one `deal` per id), for comparison.
    counter.reset();
    const perDeal = await measure(async () => {
      const ids: Hex[] = [];
      for (let offset = 0n; ; offset += 100n) {
        const [page, total] = await publicClient.readContract({ address: market, abi: marketplaceAbi, functionName: 'dealsOf', args: [owner, offset, 100n] });
        ids.push(...page);
        if (page.length === 0 || offset + 100n >= total) break;
      }
      return Promise.all(ids.map((id) => publicClient.readContract({ address: market, abi: marketplaceAbi, functionName: 'deal', args: [id] })));
    });
    const perDealTotal = counter.total();
    if (deals.value.length !== target) throw new Error(`listed ${deals.value.length} deals, expected ${target}`);
    dealRows.push({
      deals: target,
      listDeals: { ms: deals.ms, cpuMs: deals.cpuMs, rpcCalls: dealsCalls, byMethod: dealsByMethod, heapMB: deals.heapMB, rssMB: deals.rssMB },
      listDealsOneReadPerDeal: { ms: perDeal.ms, cpuMs: perDeal.cpuMs, rpcCalls: perDealTotal },
    });
    process.stdout.write(
      `deals ${target}: listDeals ${deals.ms} ms (CPU ${deals.cpuMs} ms), ${dealsCalls} calls, heap +${deals.heapMB} MB; one read per deal ${perDeal.ms} ms (CPU ${perDeal.cpuMs} ms), ${perDealTotal} calls\n`,
    );
  }
  return { peers: peerRows, deals: dealRows, setup };
}

async function main(): Promise<void> {
  if (process.env.SCALE_CHILD === 'open') return childOpen(process.env.SCALE_DIR ?? '');
  const t0 = performance.now();
  // SCALE_ONLY=node or =client runs one half; the other half is kept from the last result file.
  const only = process.env.SCALE_ONLY;
  const outDir = path.join(packageRoot(), 'bench', 'results');
  const outFile = path.join(outDir, 'scale.json');
  const last = only && fs.existsSync(outFile) ? (JSON.parse(fs.readFileSync(outFile, 'utf8')) as { node?: unknown; client?: unknown }) : {};
  const node = only === 'client' ? last.node : benchNode();
  const client = only === 'node' ? last.client : await benchClient();
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version },
    notes: [
      'Client: in-process Hardhat network; rpcCalls counted at a viem custom transport (one request = one JSON-RPC call). placeColumns probes answer at once from a table (no HTTP), so its time is chain reads + CPU; placeColumnsCpuOnly runs it over a static list of the same peers.',
      'heapMB: V8 heap growth across the operation with its result still held (after a forced GC); rssMB: the whole process after it, Hardhat chain state included, so it bounds the client from above.',
      `Node: ${SHARDS_PER_SLOT} shards of ${SHARD_BYTES} B per slot, real files; openNodeStore in a fresh child process (ts-node, transpile-only) after one warm-up open; ms = best of two; peakRssMB = the child's max RSS (its baseline is rssBeforeMB).`,
    ],
    node,
    client,
    totalMs: Math.round(performance.now() - t0),
  };
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`written to bench/results/scale.json in ${Math.round(result.totalMs / 1000)} s\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
