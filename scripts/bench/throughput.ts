/**
 * `npm run bench`: throughput and memory of the upload/download pipeline against a bare-transport
 * baseline, over real peer-node processes on a real local chain. Writes bench/results/latest.json.
 *
 * Two scenarios over the same six nodes:
 * - one file (BENCH_BYTES, default 1 GiB) per scheme (BENCH_SCHEMES, default `rs:4+2`), BENCH_ROUNDS
 *   rounds (default 3) of baseline then pipeline: upload and download MB/s (medians over the
 *   rounds), the bare-transport baseline of the same rounds and the ratios, each round's figures,
 *   the client's peak RSS (the highest of any round) and each node's;
 * - BENCH_CONCURRENT clients (default 16; 0 skips it), each a process with its own account uploading
 *   its own file of BENCH_CONCURRENT_BYTES (default 32 MiB) at the same time, under
 *   BENCH_CONCURRENT_SCHEME (default `rs:4+2`): aggregate MB/s, each node's peak RSS, the clients' peak RSS.
 *
 * Node peaks are sampled (VmRSS every 100 ms) per scenario. BENCH_NODES (default 6), BENCH_OUT
 * (default `latest.json`, in bench/results). BENCH_WORKER_ARGS: Node flags for the client processes,
 * space-separated (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, which NODE_OPTIONS refuses).
 * BENCH_KEEP=1 keeps the work folder (node logs and data) instead of removing it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { privateKeyToAccount } from 'viem/accounts';
import { hardhatKey } from '../../cli/devnet/accounts';
import { fundAccounts } from '../../cli/devnet/fund';
import { type NodeProcess, spawnNode } from '../../cli/devnet/spawn-node';
import { startChain } from '../../cli/devnet/start-chain';
import { runDeploy } from '../../cli/run-deploy';
import { RUNTIME_ENV, RUNTIME_NODE_FLAGS } from '../../cli/runtime-tuning';
import { connectChain } from '../../protocol/chain/connect';
import { packageRoot } from '../../protocol/package-root';
import { sampleCpu } from './cpu-sampler';
import { peakRssMB } from './peak-rss';
import { sampleRss } from './rss-sampler';

const MiB = 1024 * 1024;

const NOTE =
  "MB/s are of file bytes (10^6 B/s), medians over the rounds (each round a baseline then a pipeline run, each started after `sync` has written back the disk's dirty pages; perRound has each round's ratios and client peak, clientPeakRssMB is the highest round); bytesSent counts every byte put on the wire (replicas × file, or n/k × file plus padding and manifests under RS). upload* counts the whole upload (placement, opening the deal, streaming, manifest, root commit, waiting for the fills); uploadStream* only the streaming of the data. Baseline: the same layout of bytes (every chunk to every replica, or striped over k data columns plus chunk-sized bodies to the m others) sent with the client transport (putShard: signed PUTs, keep-alive node:http) under an open deal (opened outside the timing), the same PUTs in flight per column, read back with getShard (retrieval token) as many stripes ahead as the pipeline, written to a file; no encryption, coding, segment trees, manifest, root commit or fills. Every *RssMB figure is in MiB (2^20 bytes, as /proc reports kB); 150 MB (10^6) is 143.1 MiB. Node peaks: VmRSS sampled every 100 ms per scenario (nodePeakRssMB per scheme and under concurrent uploads); nodeLifetimePeakRssMB is VmHWM over the whole run. perRound[].cpu: CPU seconds (user + system, from /proc) spent in each phase by the client, by the six nodes together and by the chain, with the wall seconds of the phase; uploadStream carries the client CPU of the whole upload. concurrent: separate client processes, one account each, all starting together (a client whose placement finds too few peers answering /status within its 3 s timeout, as happens on an overloaded machine, tries again after 2 s: placementRetries); aggregate MB/s = all file bytes / (last end - first start).";

function writeRandomFile(file: string, bytes: number): void {
  const fd = fs.openSync(file, 'w');
  const buf = Buffer.allocUnsafe(4 * MiB);
  for (let written = 0; written < bytes; ) {
    const n = Math.min(buf.length, bytes - written);
    randomFillSync(buf, 0, n);
    fs.writeSync(fd, buf, 0, n);
    written += n;
  }
  fs.closeSync(fd);
}

function runWorker(root: string, task: Record<string, unknown>): Promise<Record<string, number> & Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const nodeArgs = (process.env.BENCH_WORKER_ARGS ?? '').split(' ').filter(Boolean);
    // A client runs as the `dhost` command does (its shebang's flags and environment).
    const child = spawn(process.execPath, [...RUNTIME_NODE_FLAGS, ...nodeArgs, path.join(root, 'dist', 'scripts', 'bench', 'worker.js')], {
      env: { ...process.env, ...RUNTIME_ENV, BENCH_WORKER: JSON.stringify(task) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}')) : reject(new Error(`${task.mode} worker exited ${code}`)),
    );
  });
}

/**
 * Writes back the machine's dirty pages (`sync`) before a timed run, so that no run pays for the
 * write-back of the one before: the first baseline, on a clean disk, otherwise ran up to a fifth
 * faster than every run after it.
 */
function settleDisk(): void {
  execFileSync('sync');
}

function filesEqual(a: string, b: string): boolean {
  try {
    execFileSync('cmp', ['-s', a, b]);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const root = packageRoot();
  const fileBytes = Number(process.env.BENCH_BYTES ?? 1024 * MiB);
  const nodeCount = Number(process.env.BENCH_NODES ?? 6);
  const schemes = (process.env.BENCH_SCHEMES ?? 'rs:4+2')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
  const concurrentClients = Number(process.env.BENCH_CONCURRENT ?? 16);
  const concurrentBytes = Number(process.env.BENCH_CONCURRENT_BYTES ?? 32 * MiB);
  const concurrentScheme = process.env.BENCH_CONCURRENT_SCHEME ?? 'rs:4+2';
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-bench-'));
  const children: NodeProcess[] = [];
  let chainChild: import('node:child_process').ChildProcess | undefined;
  try {
    const file = path.join(work, 'input.bin');
    writeRandomFile(file, fileBytes);
    const port = 8645;
    const chain = await startChain({ root, host: '127.0.0.1', port, logFile: path.join(work, 'chain.log') });
    chainChild = chain.child;
    const deploymentFile = path.join(work, 'deployment.json');
    const deployment = await runDeploy({ root, rpcUrl: chain.rpcUrl, privateKey: hardhatKey(0), deploymentFile, log: () => {} });
    const { publicClient, chain: viemChain } = await connectChain({ rpcUrl: chain.rpcUrl });
    const operatorKeys = Array.from({ length: nodeCount }, (_, i) => hardhatKey(i + 1));
    await fundAccounts({ publicClient, chain: viemChain }, { token: deployment.contracts.RewardToken, recipients: operatorKeys, tokens: 10_000n * 10n ** 18n });
    for (let i = 0; i < nodeCount; i++) {
      children.push(
        await spawnNode({
          root,
          port: 7201 + i,
          dataDir: path.join(work, `node-${i}`),
          logFile: path.join(work, `node-${i}.log`),
          capacity: '64GiB',
          env: { DHOST_PRIVATE_KEY: operatorKeys[i], DHOST_RPC_URL: chain.rpcUrl, DHOST_DEPLOYMENT: deploymentFile },
        }),
      );
    }
    // The user pays for deals: a development account (it has ETH for gas) given reward tokens.
    const userKey = hardhatKey(19);
    await fundAccounts(
      { publicClient, chain: viemChain },
      {
        funderKey: hardhatKey(0),
        token: deployment.contracts.RewardToken,
        recipients: [privateKeyToAccount(userKey).address],
        tokens: 1_000_000n * 10n ** 18n,
      },
    );
    const common = { rpcUrl: chain.rpcUrl, deploymentFile, privateKey: userKey, targets: children.map((c) => ({ url: c.url, address: c.address })) };
    process.stderr.write(`bench: ${fileBytes / MiB} MiB, ${nodeCount} nodes, schemes ${schemes.join(', ')}\n`);
    // Rounds alternate baseline and pipeline so that both see the same machine load; medians are
    // reported (two cores are shared by the client, six nodes and the chain, so single runs vary).
    const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
    const nodePids = children.map((c) => c.child.pid ?? 0);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const mbps = (bytes: number, s: number) => Math.round((bytes / 1e6 / s) * 10) / 10;
    let intact = true;
    const rows: Record<string, unknown>[] = [];
    for (const redundancy of schemes) {
      const baselines: Awaited<ReturnType<typeof runWorker>>[] = [];
      const pipelines: Awaited<ReturnType<typeof runWorker>>[] = [];
      const nodeRss = sampleRss({ pids: nodePids });
      const cpu = sampleCpu({ pids: [...nodePids, chainChild?.pid ?? 0] });
      // CPU seconds in a window: the client's own (reported by the worker), all nodes together, the chain.
      const cpuOf = (client: number, fromMs: number, toMs: number) => {
        const each = cpu.between(fromMs, toMs);
        const round2 = (x: number) => Math.round(x * 100) / 100;
        return {
          client: round2(client),
          nodes: round2(each.slice(0, nodeCount).reduce((a, b) => a + b, 0)),
          chain: each[nodeCount],
          seconds: round2((toMs - fromMs) / 1000),
        };
      };
      const cpuRounds: Record<string, unknown>[] = [];
      for (let r = 0; r < rounds; r++) {
        settleDisk();
        baselines.push(await runWorker(root, { ...common, redundancy, mode: 'baseline', file, out: path.join(work, 'baseline.out') }));
        settleDisk();
        pipelines.push(await runWorker(root, { ...common, redundancy, mode: 'pipeline', file, out: path.join(work, 'output.bin') }));
        intact &&= filesEqual(file, path.join(work, 'output.bin')) && filesEqual(file, path.join(work, 'baseline.out'));
        {
          const b = baselines[r].times as unknown as Record<string, number>;
          const p = pipelines[r].times as unknown as Record<string, number>;
          cpuRounds.push({
            baselineUpload: cpuOf(Number(baselines[r].uploadCpuSeconds), b.uploadStartedAt, b.uploadEndedAt),
            baselineDownload: cpuOf(Number(baselines[r].downloadCpuSeconds), b.uploadEndedAt, b.downloadEndedAt),
            // The client's upload CPU is one figure for the whole upload: it is given with the stream.
            uploadStream: cpuOf(Number(pipelines[r].uploadCpuSeconds), p.uploadStartedAt, p.streamedAt),
            uploadFinish: cpuOf(0, p.streamedAt, p.uploadEndedAt),
            download: cpuOf(Number(pipelines[r].downloadCpuSeconds), p.uploadEndedAt, p.downloadEndedAt),
          });
        }
        fs.rmSync(path.join(work, 'output.bin'), { force: true });
        process.stderr.write(`bench: ${redundancy} round ${r + 1}/${rounds} done\n`);
      }
      const nodePeaks = nodeRss.stop();
      cpu.stop();
      const pick = (runs: typeof pipelines, key: string) => median(runs.map((x) => Number(x[key])));
      const up = pick(pipelines, 'uploadSeconds');
      const down = pick(pipelines, 'downloadSeconds');
      const baseUp = pick(baselines, 'uploadSeconds');
      const baseDown = pick(baselines, 'downloadSeconds');
      rows.push({
        redundancy,
        uploadMBps: mbps(fileBytes, up),
        downloadMBps: mbps(fileBytes, down),
        baselineUploadMBps: mbps(fileBytes, baseUp),
        baselineDownloadMBps: mbps(fileBytes, baseDown),
        uploadVsBaseline: Math.round((baseUp / up) * 100) / 100,
        uploadStreamMBps: mbps(fileBytes, pick(pipelines, 'streamSeconds')),
        uploadStreamVsBaseline: Math.round((baseUp / pick(pipelines, 'streamSeconds')) * 100) / 100,
        downloadVsBaseline: Math.round((baseDown / down) * 100) / 100,
        bytesSent: pick(pipelines, 'bytesSent'),
        baselineBytesSent: pick(baselines, 'bytesSent'),
        nodePeakRssMB: Math.max(...nodePeaks.map((x) => x ?? 0)),
        nodePeakRssMBEach: nodePeaks,
        perRound: pipelines.map((p, i) => ({
          uploadVsBaseline: Math.round((Number(baselines[i].uploadSeconds) / Number(p.uploadSeconds)) * 100) / 100,
          downloadVsBaseline: Math.round((Number(baselines[i].downloadSeconds) / Number(p.downloadSeconds)) * 100) / 100,
          clientPeakRssMB: Number(p.peakRssMB),
          // The client's memory (MB of 10^6, as process.memoryUsage) at its highest RSS sample in each phase.
          clientMemoryAtPeak: { upload: p.uploadMemory, download: p.downloadMemory },
          // V8's collections in the client during the download, by kind: count and milliseconds.
          clientDownloadGc: p.downloadGc,
          // Shard GETs the download made (k per stripe without hedges or retries).
          downloadShardRequests: p.downloadShardRequests,
          uploadMBps: mbps(fileBytes, Number(p.uploadSeconds)),
          downloadMBps: mbps(fileBytes, Number(p.downloadSeconds)),
          baselineUploadMBps: mbps(fileBytes, Number(baselines[i].uploadSeconds)),
          baselineDownloadMBps: mbps(fileBytes, Number(baselines[i].downloadSeconds)),
          uploadSeconds: Number(p.uploadSeconds),
          // When each upload phase began, in seconds from the start (placement and the deal come before `upload`).
          uploadPhases: p.phases,
          uploadStartedAt: p.startedAt,
          // CPU seconds per phase: client, all nodes, chain (and the phase's wall seconds).
          cpu: cpuRounds[i],
        })),
        clientPeakRssMB: Math.max(...pipelines.map((p) => Number(p.peakRssMB))),
        clientIdleRssMB: pick(pipelines, 'idleRssMB'),
        clientMemoryAtPeak: { upload: pipelines[0].uploadMemory, download: pipelines[0].downloadMemory },
        baselineClientPeakRssMB: Math.max(...baselines.map((b) => Number(b.peakRssMB))),
        clientDownloadCpuSeconds: pick(pipelines, 'downloadCpuSeconds'),
        baselineDownloadCpuSeconds: pick(baselines, 'downloadCpuSeconds'),
      });
    }
    const outDir = path.join(root, 'bench', 'results');
    fs.mkdirSync(outDir, { recursive: true });
    const name = process.env.BENCH_OUT ?? 'latest.json';
    const resultOf = (concurrent: Record<string, unknown> | undefined) => ({
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version, loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10) },
      fileBytes,
      nodes: nodeCount,
      chunkBytes: MiB,
      rounds,
      schemes: rows,
      concurrent,
      nodeLifetimePeakRssMB: Math.max(...children.map((c) => peakRssMB(c.child.pid ?? 0) ?? 0)),
      downloadIntact: intact,
      note: NOTE,
    });
    // The one-file results are kept even if the concurrent scenario fails.
    fs.writeFileSync(path.resolve(outDir, name), `${JSON.stringify(resultOf(undefined), null, 2)}\n`);
    let concurrent: Record<string, unknown> | undefined;
    if (concurrentClients > 0) {
      // Each client its own account (its own deals and transaction nonces), funded with ETH and tokens.
      const keys = Array.from({ length: concurrentClients }, (_, i) => hardhatKey(100 + i));
      await fundAccounts(
        { publicClient, chain: viemChain },
        { token: deployment.contracts.RewardToken, recipients: keys, tokens: 100_000n * 10n ** 18n, eth: '10' },
      );
      const files = keys.map((_, i) => {
        const f = path.join(work, `concurrent-${i}.bin`);
        writeRandomFile(f, concurrentBytes);
        return f;
      });
      process.stderr.write(`bench: ${concurrentClients} concurrent uploads of ${concurrentBytes / MiB} MiB, ${concurrentScheme}\n`);
      const nodeRss = sampleRss({ pids: nodePids });
      // Every client loads its modules first; all start streaming at the same moment.
      const startAt = Date.now() + 5_000 + concurrentClients * 300;
      const settled = await Promise.allSettled(
        keys.map((privateKey, i) => runWorker(root, { ...common, privateKey, redundancy: concurrentScheme, mode: 'upload', file: files[i], out: '', startAt })),
      );
      const nodePeaks = nodeRss.stop();
      const runs = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const failed = settled.flatMap((r) => (r.status === 'rejected' ? [String(r.reason instanceof Error ? r.reason.message : r.reason)] : []));
      if (runs.length === 0) throw new Error(`every concurrent upload failed: ${failed.join('; ')}`);
      const first = Math.min(...runs.map((r) => Number(r.startedAt)));
      const last = Math.max(...runs.map((r) => Number(r.endedAt)));
      concurrent = {
        clients: concurrentClients,
        redundancy: concurrentScheme,
        fileBytes: concurrentBytes,
        completed: runs.length,
        failed,
        placementRetries: runs.reduce((n, r) => n + Number(r.placementRetries ?? 0), 0),
        aggregateUploadMBps: mbps(concurrentBytes * runs.length, (last - first) / 1000),
        medianClientUploadMBps: mbps(concurrentBytes, median(runs.map((r) => Number(r.uploadSeconds)))),
        nodePeakRssMB: Math.max(...nodePeaks.map((x) => x ?? 0)),
        nodePeakRssMBEach: nodePeaks,
        clientPeakRssMB: Math.max(...runs.map((r) => Number(r.peakRssMB))),
        clientIdleRssMB: median(runs.map((r) => Number(r.idleRssMB))),
      };
    }
    const result = resultOf(concurrent);
    fs.writeFileSync(path.resolve(outDir, name), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (!intact) throw new Error('the downloaded file differs from the uploaded one');
  } finally {
    for (const c of children) c.child.kill('SIGTERM');
    chainChild?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    if (process.env.BENCH_KEEP) process.stderr.write(`bench: kept ${work} (node logs, data)\n`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
