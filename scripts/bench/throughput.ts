/**
 * `npm run bench`: throughput and memory of the upload/download pipeline against a bare-transport
 * baseline, over real peer-node processes on a real local chain. Writes bench/results/latest.json.
 *
 * Environment: BENCH_BYTES (default 256 MiB), BENCH_NODES (6), BENCH_SCHEMES (`replicate:3,rs:4+2`), BENCH_ROUNDS (3).
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
import { connectChain } from '../../protocol/chain/connect';
import { packageRoot } from '../../protocol/package-root';
import { peakRssMB } from './peak-rss';

const MiB = 1024 * 1024;

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
    const child = spawn(process.execPath, [path.join(root, 'dist', 'scripts', 'bench', 'worker.js')], {
      env: { ...process.env, BENCH_WORKER: JSON.stringify(task) },
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
  const fileBytes = Number(process.env.BENCH_BYTES ?? 256 * MiB);
  const nodeCount = Number(process.env.BENCH_NODES ?? 6);
  const schemes = (process.env.BENCH_SCHEMES ?? 'replicate:3,rs:4+2').split(',').map((x) => x.trim());
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
    await fundAccounts(
      { publicClient, chain: viemChain },
      {
        funderKey: hardhatKey(0),
        token: deployment.contracts.RewardToken,
        recipients: operatorKeys.map((k) => privateKeyToAccount(k).address),
        tokens: 10_000n * 10n ** 18n,
      },
    );
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
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const mbps = (bytes: number, s: number) => Math.round((bytes / 1e6 / s) * 10) / 10;
    let intact = true;
    const rows: Record<string, unknown>[] = [];
    for (const redundancy of schemes) {
      const baselines: Awaited<ReturnType<typeof runWorker>>[] = [];
      const pipelines: Awaited<ReturnType<typeof runWorker>>[] = [];
      for (let r = 0; r < rounds; r++) {
        baselines.push(await runWorker(root, { ...common, redundancy, mode: 'baseline', file, out: path.join(work, 'baseline.out') }));
        pipelines.push(await runWorker(root, { ...common, redundancy, mode: 'pipeline', file, out: path.join(work, 'output.bin') }));
        intact &&= filesEqual(file, path.join(work, 'output.bin')) && filesEqual(file, path.join(work, 'baseline.out'));
        fs.rmSync(path.join(work, 'output.bin'), { force: true });
        process.stderr.write(`bench: ${redundancy} round ${r + 1}/${rounds} done\n`);
      }
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
        perRound: pipelines.map((p, i) => ({
          uploadMBps: mbps(fileBytes, Number(p.uploadSeconds)),
          downloadMBps: mbps(fileBytes, Number(p.downloadSeconds)),
          baselineUploadMBps: mbps(fileBytes, Number(baselines[i].uploadSeconds)),
          baselineDownloadMBps: mbps(fileBytes, Number(baselines[i].downloadSeconds)),
        })),
        clientPeakRssMB: Math.max(...pipelines.map((p) => Number(p.peakRssMB))),
        clientIdleRssMB: pick(pipelines, 'idleRssMB'),
        clientMemoryAtPeak: { upload: pipelines[0].uploadMemory, download: pipelines[0].downloadMemory },
        baselineClientPeakRssMB: Math.max(...baselines.map((b) => Number(b.peakRssMB))),
        clientDownloadCpuSeconds: pick(pipelines, 'downloadCpuSeconds'),
        baselineDownloadCpuSeconds: pick(baselines, 'downloadCpuSeconds'),
      });
    }
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      fileBytes,
      nodes: nodeCount,
      chunkBytes: MiB,
      rounds,
      schemes: rows,
      nodePeakRssMB: Math.max(...children.map((c) => peakRssMB(c.child.pid ?? 0) ?? 0)),
      downloadIntact: intact,
      note: 'MB/s are of file bytes (10^6 B/s), medians over the rounds; bytesSent counts every byte put on the wire (replicas × file, or n/k × file plus padding and manifests under RS). upload* counts the whole upload (placement, opening the deal, streaming, manifest, root commit, waiting for the fills); uploadStream* only the streaming of the data. Baseline: the same layout of bytes (every chunk to every replica, or striped over k data columns plus parity-sized bodies to the m others) with signed PUT/GET (under an open deal, opened outside the timing) to the same nodes at the same concurrency, written to a file, no encryption or coding.',
    };
    const outDir = path.join(root, 'bench', 'results');
    fs.mkdirSync(outDir, { recursive: true });
    const name = process.env.BENCH_OUT ?? 'latest.json';
    fs.writeFileSync(path.join(outDir, name), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (!intact) throw new Error('the downloaded file differs from the uploaded one');
  } finally {
    for (const c of children) c.child.kill('SIGTERM');
    chainChild?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
