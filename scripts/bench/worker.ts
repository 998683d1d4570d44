import fs from 'node:fs';
import { privateKeyToAccount } from 'viem/accounts';
import { chainPeerSource, downloadToFile, fileSource, masterFromPrivateKey, upload } from '../../client';
import { connectChain } from '../../protocol/chain/connect';
import { loadDeployment } from '../../protocol/chain/deployment';
import { defaults } from '../../protocol/config';
import { randomFileId } from '../../protocol/ids';
import { bareTransfer } from './bare-transfer';
import { peakRssMB } from './peak-rss';

/** What the orchestrator passes to a worker process (as JSON in BENCH_WORKER). */
interface WorkerTask {
  mode: 'pipeline' | 'baseline';
  file: string;
  out: string;
  rpcUrl: string;
  deploymentFile: string;
  privateKey: `0x${string}`;
  replicas: number;
  targets: { url: string; address: `0x${string}` }[];
}

/** Samples memory every 50 ms and keeps the sample with the highest RSS. */
function memorySampler() {
  let peak = process.memoryUsage();
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > peak.rss) peak = m;
  }, 200);
  const mb = (n: number) => Math.round(n / 1e5) / 10;
  return {
    stop: () => {
      clearInterval(timer);
      return { rssMB: mb(peak.rss), heapUsedMB: mb(peak.heapUsed), externalMB: mb(peak.external), arrayBuffersMB: mb(peak.arrayBuffers) };
    },
  };
}

async function run(task: WorkerTask): Promise<Record<string, unknown>> {
  const { publicClient, chain } = await connectChain({ rpcUrl: task.rpcUrl });
  const deployment = await loadDeployment({ file: task.deploymentFile, chainId: chain.id });
  const account = privateKeyToAccount(task.privateKey);
  if (task.mode === 'baseline') {
    const r = await bareTransfer(
      { account, chainId: chain.id },
      {
        file: task.file,
        out: task.out,
        fileId: randomFileId(),
        targets: task.targets.slice(0, task.replicas),
        chunkSize: defaults.chunkSize,
        inFlight: defaults.shardsInFlightPerColumn,
      },
    );
    return { ...r, peakRssMB: peakRssMB('self') };
  }
  const peers = chainPeerSource({ publicClient, registry: deployment.contracts.PeerRegistry });
  const idle = process.memoryUsage().rss;
  const upMem = memorySampler();
  const t0 = performance.now();
  const result = await upload(
    { account, chainId: chain.id, master: masterFromPrivateKey(task.privateKey), peers },
    { source: await fileSource(task.file), name: 'bench.bin', replicas: task.replicas },
  );
  const t1 = performance.now();
  const uploadMemory = upMem.stop();
  const downMem = memorySampler();
  const cpu0 = process.cpuUsage();
  const { bytes } = await downloadToFile({ peers }, { handle: result.handle, outPath: task.out });
  const t2 = performance.now();
  const downloadMemory = downMem.stop();
  const cpu1 = process.cpuUsage(cpu0);
  return {
    uploadSeconds: (t1 - t0) / 1000,
    downloadSeconds: (t2 - t1) / 1000,
    bytes,
    peakRssMB: peakRssMB('self'),
    idleRssMB: Math.round(idle / 1e5) / 10,
    uploadMemory,
    downloadMemory,
    downloadCpuSeconds: (cpu1.user + cpu1.system) / 1e6,
  };
}

const task = JSON.parse(process.env.BENCH_WORKER ?? 'null') as WorkerTask | null;
if (!task) {
  process.stderr.write('worker: BENCH_WORKER is not set\n');
  process.exit(2);
}
run(task).then(
  (r) => {
    fs.writeSync(1, `${JSON.stringify(r)}\n`);
    process.exit(0);
  },
  (err) => {
    process.stderr.write(`worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
