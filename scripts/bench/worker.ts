import fs from 'node:fs';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { createWalletClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  chainPeerSource,
  columnCountOf,
  downloadToFile,
  fileSource,
  masterFromPrivateKey,
  NotEnoughPeersError,
  openDeal,
  parseRedundancy,
  quoteDeal,
  signAssignment,
  upload,
} from '../../client';
import { selfIssuedAccess } from '../../client/access/self-issued-access';
import { nodeHttpRequester } from '../../client/transport/http-requester';
import { connectChain } from '../../protocol/chain/connect';
import { loadDeployment } from '../../protocol/chain/deployment';
import { ASSIGNMENT_HEADER } from '../../protocol/chain/market';
import { defaults } from '../../protocol/config';
import { randomFileId } from '../../protocol/ids';
import { bareTransfer } from './bare-transfer';
import { peakRssMB } from './peak-rss';

/** What the orchestrator passes to a worker process (as JSON in BENCH_WORKER). */
interface WorkerTask {
  /** `pipeline`: upload then download; `upload`: upload only (one of many concurrent clients); `baseline`: bare transport. */
  mode: 'pipeline' | 'upload' | 'baseline';
  /** `upload`: start at this time (epoch ms), so that concurrent clients start together after their imports. */
  startAt?: number;
  file: string;
  out: string;
  rpcUrl: string;
  deploymentFile: string;
  privateKey: `0x${string}`;
  /** `replicate:N` or `rs:K+M`. */
  redundancy: string;
  targets: { url: string; address: `0x${string}` }[];
}

/**
 * Counts V8's collections by kind (minor, major, incremental marking, weak callbacks) and their
 * milliseconds, whoever started them.
 */
function gcCounter() {
  const kinds: Record<number, string> = {
    [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakCallbacks',
  };
  const seen: Record<string, { count: number; ms: number }> = {};
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = kinds[(entry as unknown as { detail: { kind: number } }).detail.kind] ?? 'other';
      seen[kind] ??= { count: 0, ms: 0 };
      seen[kind].count += 1;
      seen[kind].ms += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop: () => {
      observer.disconnect();
      return Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, { count: v.count, ms: Math.round(v.ms) }]));
    },
  };
}

/** Samples memory every 200 ms and keeps the sample with the highest RSS. */
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
  const { publicClient, chain, transport } = await connectChain({ rpcUrl: task.rpcUrl });
  const deployment = await loadDeployment({ file: task.deploymentFile, chainId: chain.id });
  const account = privateKeyToAccount(task.privateKey);
  const walletClient = createWalletClient({ account, chain, transport });
  const market = deployment.contracts.Marketplace;
  const token = deployment.contracts.RewardToken;
  if (task.mode === 'baseline') {
    // The nodes take writes only for an open deal with an assignment: open one for the raw bytes
    // (outside the timed part) and send its assignment with every PUT.
    const fileId = randomFileId();
    const redundancy = parseRedundancy(task.redundancy);
    const targets = task.targets.slice(0, columnCountOf(redundancy));
    const dataColumns = redundancy.scheme === 'rs' ? redundancy.dataShards : undefined;
    const size = fs.statSync(task.file).size;
    const quote = quoteDeal({ peers: targets.map(() => ({ pricePerGiBEpoch: 10n ** 15n })), bytesPerSlot: BigInt(size), durationEpochs: 2 });
    await openDeal({ publicClient, walletClient, chainId: chain.id, market, token }, { dealId: fileId, quote });
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const columnHeaders = await Promise.all(
      targets.map(async (t, column) => {
        const a = await signAssignment({ account, chainId: chain.id, market }, { dealId: fileId, column, peer: t.address, deadline });
        return { [ASSIGNMENT_HEADER]: a.header };
      }),
    );
    const access = await selfIssuedAccess({ account, publicClient }, { chainId: chain.id, market, dealId: fileId });
    const r = await bareTransfer(
      { account, chainId: chain.id, access },
      {
        file: task.file,
        out: task.out,
        fileId,
        targets,
        chunkSize: defaults.chunkSize,
        inFlight: defaults.shardsInFlightPerColumn,
        // As `download`: two stripes ahead under RS (k requests each, the pipeline adds one hedge), four chunks under replication.
        readAhead: dataColumns === undefined ? 4 : 2,
        columnHeaders,
        dataColumns,
      },
    );
    return { ...r, peakRssMB: peakRssMB('self') };
  }
  const peers = chainPeerSource({ publicClient, registry: deployment.contracts.PeerRegistry });
  const idle = process.memoryUsage().rss;
  if (task.startAt !== undefined) await new Promise((r) => setTimeout(r, Math.max(0, (task.startAt as number) - Date.now())));
  const startedAt = Date.now();
  const upMem = memorySampler();
  const upCpu0 = process.cpuUsage();
  let streamedAt: number | undefined;
  let streamedWallAt: number | undefined;
  // When each upload phase began (seconds from the start): where the time after streaming goes.
  const phases: { phase: string; atSeconds: number }[] = [];
  let lastPhase: string | undefined;
  const t0 = performance.now();
  // Concurrent clients on an overloaded machine: a placement that found too few peers answering
  // /status in time (nothing opened yet) is tried again, twice at most, and counted.
  let placementRetries = 0;
  const source = await fileSource(task.file);
  const uploadOnce = () =>
    upload(
      { account, chainId: chain.id, master: masterFromPrivateKey(task.privateKey), peers, marketplace: { publicClient, walletClient, market, token } },
      {
        source,
        name: 'bench.bin',
        redundancy: parseRedundancy(task.redundancy),
        onProgress: (p) => {
          if (p.phase === 'upload' && p.bytes === p.totalBytes && streamedAt === undefined) {
            streamedAt = performance.now();
            streamedWallAt = Date.now();
          }
          if (p.phase !== lastPhase) {
            lastPhase = p.phase;
            phases.push({ phase: p.phase, atSeconds: Math.round(performance.now() - t0) / 1000 });
          }
        },
      },
    );
  let result: Awaited<ReturnType<typeof uploadOnce>>;
  for (;;) {
    try {
      result = await uploadOnce();
      break;
    } catch (err) {
      if (!(err instanceof NotEnoughPeersError) || placementRetries >= 2) throw err;
      placementRetries += 1;
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
  const t1 = performance.now();
  const uploadEndedAt = Date.now();
  const upCpu = process.cpuUsage(upCpu0);
  const uploadCpuSeconds = (upCpu.user + upCpu.system) / 1e6;
  const uploadMemory = upMem.stop();
  if (task.mode === 'upload') {
    return {
      uploadSeconds: (t1 - t0) / 1000,
      streamSeconds: ((streamedAt ?? t1) - t0) / 1000,
      startedAt,
      endedAt: uploadEndedAt,
      uploadCpuSeconds,
      placementRetries,
      phases,
      peakRssMB: peakRssMB('self'),
      idleRssMB: Math.round(idle / 1e5) / 10,
      uploadMemory,
    };
  }
  // Shard requests the download makes (hedges and retries included; a clean RS(k, m) download asks k per stripe).
  const shardRequests = { count: 0 };
  const request = nodeHttpRequester();
  const countingRequest: typeof request = (r) => {
    if (r.method === 'GET' && /\/shards\//.test(r.url)) shardRequests.count += 1;
    return request(r);
  };
  const downMem = memorySampler();
  const downGc = gcCounter();
  const cpu0 = process.cpuUsage();
  const { bytes } = await downloadToFile(
    { peers, marketplace: { publicClient, market, registry: deployment.contracts.PeerRegistry }, account, request: countingRequest },
    { handle: result.handle, outPath: task.out },
  );
  const t2 = performance.now();
  const downloadMemory = downMem.stop();
  // Give the observer the last entries (they are delivered asynchronously).
  await new Promise((r) => setImmediate(r));
  const downloadGc = downGc.stop();
  const cpu1 = process.cpuUsage(cpu0);
  // Bytes on the wire: every column's shards and manifest copy (columns are equal in length; 512-byte segments).
  const bytesSent = result.columns.length * (result.deal?.segmentCount ?? 0) * 512;
  return {
    bytesSent,
    uploadSeconds: (t1 - t0) / 1000,
    // From the first byte to the last byte handed to the peers, before the manifest, the root commit and the fills.
    streamSeconds: ((streamedAt ?? t1) - t0) / 1000,
    phases,
    startedAt,
    downloadSeconds: (t2 - t1) / 1000,
    bytes,
    peakRssMB: peakRssMB('self'),
    idleRssMB: Math.round(idle / 1e5) / 10,
    uploadMemory,
    downloadMemory,
    downloadGc,
    downloadShardRequests: shardRequests.count,
    uploadCpuSeconds,
    downloadCpuSeconds: (cpu1.user + cpu1.system) / 1e6,
    times: { uploadStartedAt: startedAt, streamedAt: streamedWallAt ?? uploadEndedAt, uploadEndedAt, downloadEndedAt: Date.now() },
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
    const details = (err as { details?: unknown }).details;
    const detailText = details === undefined ? '' : `\ndetails: ${JSON.stringify(details, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`;
    process.stderr.write(`worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}${detailText}\n`);
    process.exit(1);
  },
);
