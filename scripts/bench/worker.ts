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

async function run(task: WorkerTask): Promise<Record<string, unknown>> {
  const { publicClient, chain } = await connectChain({ rpcUrl: task.rpcUrl });
  const deployment = await loadDeployment({ file: task.deploymentFile, chainId: chain.id });
  const account = privateKeyToAccount(task.privateKey);
  if (task.mode === 'baseline') {
    const r = await bareTransfer(
      { account, chainId: chain.id },
      {
        file: task.file,
        fileId: randomFileId(),
        targets: task.targets.slice(0, task.replicas),
        chunkSize: defaults.chunkSize,
        inFlight: defaults.shardsInFlightPerColumn,
      },
    );
    return { ...r, peakRssMB: peakRssMB('self') };
  }
  const peers = chainPeerSource({ publicClient, registry: deployment.contracts.PeerRegistry });
  const t0 = performance.now();
  const result = await upload(
    { account, chainId: chain.id, master: masterFromPrivateKey(task.privateKey), peers },
    { source: await fileSource(task.file), name: 'bench.bin', replicas: task.replicas },
  );
  const t1 = performance.now();
  const { bytes } = await downloadToFile({ peers }, { handle: result.handle, outPath: task.out });
  const t2 = performance.now();
  return { uploadSeconds: (t1 - t0) / 1000, downloadSeconds: (t2 - t1) / 1000, bytes, peakRssMB: peakRssMB('self') };
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
