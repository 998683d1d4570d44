/**
 * `npm run bench:placement`: how placement spreads load. Places 1,000 files (6 columns each, RS(4,2)
 * sizes from a log-normal file-size distribution) over 12 simulated peers of mixed capacity (3
 * large, 6 medium, 3 small) and latency (4 at 200 ms, the rest 5–40 ms), updating each peer's
 * free space (its `/status` and its on-chain ledger) as columns land. No HTTP: a `staticPeerSource`
 * and an injected status probe, since this measures the policy, not the network. Reports the spread
 * of fill ratios, the share of columns on slow peers and the placements that failed for lack of
 * space, for placement v2 (`placeColumns`) and, for comparison, v1's deterministic top-k by
 * `free / (rtt + 20 ms)`. Writes bench/results/placement.json.
 *
 * Environment: BENCH_SEED (default 1), BENCH_FILES (1000), BENCH_FILL (0.8: total demand over
 * total capacity).
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Address, getAddress } from 'viem';
import { NotEnoughPeersError } from '../../client/errors';
import { staticPeerSource } from '../../client/peer-source';
import { placeColumns, type StatusProbe } from '../../client/placement';
import { seededRandom } from '../../client/seeded-random';
import { packageRoot } from '../../protocol/package-root';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const CHUNK = MiB;
const DATA_SHARDS = 4;
const COLUMNS = 6;
const MANIFEST_BOUND = 8 * 1024;

interface SimPeer {
  operator: Address;
  endpoint: string;
  kind: 'large' | 'medium' | 'small';
  capacity: number;
  used: number;
  rttMs: number;
  slow: boolean;
  columns: number;
}

/** Box–Muller from the seeded source. */
function normal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Column bytes of a file under RS(4,2) with 1 MiB chunks: ceil(chunks / 4) shards of chunk + tag,
 * plus a manifest bound. File sizes: log-normal, median 16 MiB, σ = 1.6 (ln), 4 KiB to 8 GiB: many
 * small files, a heavy tail of large ones.
 */
function drawColumnBytes(random: () => number): number {
  const size = Math.min(8 * GiB, Math.max(4096, Math.round(16 * MiB * Math.exp(1.6 * normal(random)))));
  const chunks = Math.ceil(size / CHUNK);
  return Math.ceil(chunks / DATA_SHARDS) * (CHUNK + 16) + MANIFEST_BOUND;
}

function makePeers(random: () => number, totalCapacity: number): SimPeer[] {
  // Capacity units: large 4, medium 2, small 1 (3·4 + 6·2 + 3·1 = 27 units).
  const kinds: SimPeer['kind'][] = ['large', 'large', 'large', 'medium', 'medium', 'medium', 'medium', 'medium', 'medium', 'small', 'small', 'small'];
  const units = { large: 4, medium: 2, small: 1 } as const;
  const unit = totalCapacity / 27;
  // Slow peers: one large, two medium, one small, so latency is not confounded with size.
  const slow = new Set([0, 3, 4, 9]);
  return kinds.map((kind, i) => ({
    operator: getAddress(`0x${(i + 1).toString(16).padStart(40, '0')}`),
    endpoint: `https://peer${i}.example.org`,
    kind,
    capacity: Math.floor(units[kind] * unit),
    used: 0,
    rttMs: slow.has(i) ? 200 : 5 + Math.round(random() * 35),
    slow: slow.has(i),
    columns: 0,
  }));
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function fillStats(peers: SimPeer[]) {
  const ratios = peers.map((p) => p.used / p.capacity).sort((a, b) => a - b);
  const mean = ratios.reduce((s, r) => s + r, 0) / ratios.length;
  const sd = Math.sqrt(ratios.reduce((s, r) => s + (r - mean) ** 2, 0) / ratios.length);
  const columns = peers.reduce((s, p) => s + p.columns, 0);
  const slowColumns = peers.filter((p) => p.slow).reduce((s, p) => s + p.columns, 0);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    minFill: round(ratios[0]),
    medianFill: round(quantile(ratios, 0.5)),
    maxFill: round(ratios[ratios.length - 1]),
    meanFill: round(mean),
    fillCv: round(mean > 0 ? sd / mean : 0),
    slowColumnShare: round(columns > 0 ? slowColumns / columns : 0),
    slowPeerShare: round(peers.filter((p) => p.slow).length / peers.length),
    byKind: Object.fromEntries(
      (['large', 'medium', 'small'] as const).map((k) => {
        const ps = peers.filter((p) => p.kind === k);
        return [k, round(ps.reduce((s, p) => s + p.used, 0) / ps.reduce((s, p) => s + p.capacity, 0))];
      }),
    ),
  };
}

type Policy = (peers: SimPeer[], columnBytes: number) => Promise<SimPeer[] | undefined>;

/** Placement v2, through `placeColumns` with a static source rebuilt from the current state. */
function v2Policy(random: () => number): Policy {
  const jitter = seededRandom(99);
  return async (peers, columnBytes) => {
    const byEndpoint = new Map(peers.map((p) => [p.endpoint, p]));
    const probe: StatusProbe = async ({ endpoint }) => {
      const p = byEndpoint.get(endpoint);
      if (!p) throw new Error('unknown peer');
      return {
        status: {
          address: p.operator,
          chainId: 31337,
          version: '0.1.0',
          capacityBytes: p.capacity,
          usedBytes: p.used,
          freeBytes: p.capacity - p.used,
          slots: p.columns,
          shards: 0,
          maxShardBytes: 17 * MiB,
          uptimeSeconds: 86_400,
        },
        rttMs: p.rttMs * (0.9 + 0.2 * jitter()),
      };
    };
    const records = peers.map((p) => ({
      operator: p.operator,
      endpoint: p.endpoint,
      capacity: BigInt(p.capacity),
      pricePerGiBEpoch: 10n ** 15n,
      stake: 10n ** 18n,
      lockedStake: 0n,
      registeredAt: 0n,
      lastHeartbeat: 30n * 86_400n,
      exitRequestedAt: 0n,
      ledger: { bytesHeld: BigInt(p.used), epochsProven: 100n, proofsMissed: 0n },
      rules: { minStake: 1n, heartbeatTimeout: 600n },
    }));
    try {
      const { chosen } = await placeColumns(
        { peers: staticPeerSource(records), probe, random },
        { columns: COLUMNS, columnBytes, shardBytes: CHUNK + 16, chainId: 31337, nowSeconds: 30n * 86_400n + 60n },
      );
      return chosen.map((c) => byEndpoint.get(c.endpoint) as SimPeer);
    } catch (err) {
      if (err instanceof NotEnoughPeersError) return undefined;
      throw err;
    }
  };
}

/** Placement v1 for comparison: the `columns` best by `free / (rtt + 20 ms)`, no randomness. */
const v1Policy: Policy = async (peers, columnBytes) => {
  const fit = peers.filter((p) => p.capacity - p.used >= columnBytes);
  if (fit.length < COLUMNS) return undefined;
  return fit.sort((a, b) => (b.capacity - b.used) / (b.rttMs + 20) - (a.capacity - a.used) / (a.rttMs + 20)).slice(0, COLUMNS);
};

async function run(name: string, policy: Policy, files: number[], totalCapacity: number, seed: number) {
  const peers = makePeers(seededRandom(seed + 1), totalCapacity);
  const checkpoints: Record<string, unknown>[] = [];
  let failed = 0;
  let firstFailureAt: number | undefined;
  for (let i = 0; i < files.length; i++) {
    const chosen = await policy(peers, files[i]);
    if (!chosen) {
      failed++;
      firstFailureAt ??= i + 1;
    } else {
      for (const p of chosen) {
        p.used += files[i];
        p.columns++;
      }
    }
    if ((i + 1) % (files.length / 4) === 0) checkpoints.push({ files: i + 1, failed, ...fillStats(peers) });
  }
  return {
    policy: name,
    failed,
    firstFailureAt,
    ...fillStats(peers),
    checkpoints,
    peers: peers.map(({ kind, capacity, used, rttMs, columns }) => ({ kind, capacity, used, rttMs, columns })),
  };
}

async function main(): Promise<void> {
  const seed = Number(process.env.BENCH_SEED ?? 1);
  const fileCount = Number(process.env.BENCH_FILES ?? 1000);
  const targetFill = Number(process.env.BENCH_FILL ?? 0.8);
  const draw = seededRandom(seed);
  const files = Array.from({ length: fileCount }, () => drawColumnBytes(draw));
  const demand = files.reduce((s, b) => s + b * COLUMNS, 0);
  const totalCapacity = demand / targetFill;
  const v2 = await run('v2 weighted (placeColumns)', v2Policy(seededRandom(seed + 2)), files, totalCapacity, seed);
  const v1 = await run('v1 top-k free/(rtt+20)', v1Policy, files, totalCapacity, seed);

  const sortedCols = [...files].sort((a, b) => a - b);
  const result = {
    date: new Date().toISOString(),
    seed,
    files: fileCount,
    columnsPerFile: COLUMNS,
    peers: '3 large (4 units), 6 medium (2), 3 small (1); 4 slow at 200 ms (1 large, 2 medium, 1 small), the rest 5-40 ms',
    columnBytes: { min: sortedCols[0], median: quantile(sortedCols, 0.5), p90: quantile(sortedCols, 0.9), max: sortedCols[sortedCols.length - 1] },
    demandGiB: Math.round((demand / GiB) * 10) / 10,
    capacityGiB: Math.round((totalCapacity / GiB) * 10) / 10,
    targetFill,
    results: [v2, v1],
    note: 'fill = used / capacity per peer after all placements; fillCv = coefficient of variation of the 12 fill ratios; slowColumnShare = columns on the 4 slow peers / all columns placed (their share of peers is 1/3); failed = files that found fewer than 6 peers with room for a column.',
  };

  const header = ['policy', 'failed', 'minFill', 'medianFill', 'maxFill', 'fillCv', 'large', 'medium', 'small', 'slowCols', 'slowPeers'];
  const rows = [v2, v1].map((r) => [
    r.policy,
    String(r.failed),
    r.minFill.toFixed(3),
    r.medianFill.toFixed(3),
    r.maxFill.toFixed(3),
    r.fillCv.toFixed(3),
    r.byKind.large.toFixed(3),
    r.byKind.medium.toFixed(3),
    r.byKind.small.toFixed(3),
    r.slowColumnShare.toFixed(3),
    r.slowPeerShare.toFixed(3),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const table = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
  const progress = v2.checkpoints
    .map(
      (c) =>
        `  after ${c.files} files: failed ${c.failed}, fill min/median/max ${c.minFill}/${c.medianFill}/${c.maxFill}, cv ${c.fillCv}, slow share ${c.slowColumnShare}`,
    )
    .join('\n');
  process.stdout.write(
    `placement bench: ${fileCount} files × ${COLUMNS} columns, demand ${result.demandGiB} GiB over ${result.capacityGiB} GiB (target fill ${targetFill}), seed ${seed}\n` +
      `column bytes: median ${(result.columnBytes.median / MiB).toFixed(1)} MiB, p90 ${(result.columnBytes.p90 / MiB).toFixed(1)} MiB, max ${(result.columnBytes.max / MiB).toFixed(1)} MiB\n\n` +
      `${table}\n\nv2 over time:\n${progress}\n`,
  );
  const outDir = path.join(packageRoot(), 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'placement.json'), `${JSON.stringify(result, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
