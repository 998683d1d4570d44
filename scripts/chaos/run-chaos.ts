import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createWalletClient, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { chainPeerSource, type DownloadDeps, masterFromPrivateKey, nodeHttpRequester, parseRedundancy, seededRandom, type UploadDeps } from '../../client';
import { setDelegate } from '../../client/access/set-delegate';
import type { RepairDeps } from '../../client/repair/repair-file';
import { connectChain } from '../../protocol/chain/connect';
import { InvalidInputError } from '../../protocol/errors';
import { PERMISSION } from '../../protocol/retrieval-token';
import { cachedPeerSource } from './cached-peer-source';
import type { ChaosConfig } from './chaos-config';
import type { ChaosResult } from './chaos-result';
import type { ChaosFile, ChaosState } from './chaos-state';
import { startFaultScheduler } from './fault-scheduler';
import { planSizes, SIZE_DISTRIBUTION } from './plan-sizes';
import { emptyRepairTally, repairFiles } from './repair-files';
import { startCluster } from './start-cluster';
import { uploadFiles } from './upload-files';
import { verifyFiles } from './verify-files';
import { watchCorruptReads } from './watch-corrupt-reads';

/** Repairs run with this many accounts at once (each a repair delegate of every uploader). */
const REPAIRERS = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One chaos run (docs/chaos.md): a local chain and `config.nodes` peer processes (some behind a
 * fault-injecting proxy); `config.files` files of 0 B..`maxBytes` uploaded through the client SDK
 * while the fault scheduler kills, restarts and pauses peers and corrupts shards within the
 * redundancy's tolerance, and long kills make the client repair lapsed columns onto spare peers;
 * a download pass under faults; then faults stop, a last repair pass runs over every file, and
 * every written file is downloaded and compared. Every process started is stopped before it
 * returns (and as soon as `signal` aborts); the work folder is removed unless something was lost (its logs are kept then).
 *
 * @example
 * const result = await runChaos({ root, log: (l) => process.stderr.write(`${l}\n`) }, readChaosConfig({ argv, env, defaultOut }));
 */
export async function runChaos(deps: { root: string; log: (line: string) => void; signal?: AbortSignal }, config: ChaosConfig): Promise<ChaosResult> {
  const { log } = deps;
  const t0 = performance.now();
  const seconds = (from: number) => Math.round((performance.now() - from) / 100) / 10;
  const phases: Record<string, number> = {};
  const random = seededRandom(config.seed);
  const redundancy = parseRedundancy(config.redundancy);
  if (redundancy.scheme !== 'rs') throw new InvalidInputError('the chaos run needs Reed-Solomon redundancy (rs:K+M): repair works on RS deals only');
  const k = redundancy.dataShards;
  const columns = k + redundancy.parityShards;
  if (config.nodes <= columns)
    throw new InvalidInputError(`${config.nodes} nodes leave no spare for repairs under ${config.redundancy}: use at least ${columns + 1}`);
  const users = config.uploadConcurrency + REPAIRERS;
  if (config.nodes + users > 39) throw new InvalidInputError(`nodes + uploaders + ${REPAIRERS} repairers must fit the chain's 39 spare accounts`);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-chaos-'));
  log(`chaos: work folder ${work}`);
  const cluster = await startCluster(
    { random, log },
    {
      root: deps.root,
      work,
      nodes: config.nodes,
      proxied: config.proxied,
      chainPort: config.chainPort,
      firstNodePort: config.firstNodePort,
      firstProxyPort: config.firstProxyPort,
      users,
      heartbeatTimeout: config.heartbeatTimeout,
      lapseFreeSeconds: config.lapseFreeSeconds,
      epochLength: config.epochLength,
      proxyRates: { ...config.proxyRates, latencyMs: [20, 250] },
    },
  );
  let keepWork = false;
  // Interrupted (Ctrl-C): stop every process at once; the run then fails on its own.
  deps.signal?.addEventListener('abort', () => void cluster.stop(), { once: true });
  try {
    const { publicClient, chain } = await connectChain({ rpcUrl: cluster.rpcUrl });
    const market = cluster.deployment.contracts.Marketplace;
    const registry = cluster.deployment.contracts.PeerRegistry;
    const token = cluster.deployment.contracts.RewardToken;
    const byAddress = new Map(cluster.peers.map((p) => [p.address.toLowerCase(), p.index]));
    const peerIndexOf = (operator: string) => byAddress.get(operator.toLowerCase());
    const peers = cachedPeerSource({ peers: chainPeerSource({ publicClient, registry, market }) }, { ttlMs: 3000 });
    const reads = watchCorruptReads({ request: nodeHttpRequester() });
    const accounts = cluster.userKeys.map((key) => {
      const account = privateKeyToAccount(key);
      return { key, account, walletClient: createWalletClient({ account, chain, transport: http(cluster.rpcUrl) }) };
    });
    const uploaderAccounts = accounts.slice(0, config.uploadConcurrency);
    const repairerAccounts = accounts.slice(config.uploadConcurrency);
    const uploaders: UploadDeps[] = uploaderAccounts.map((u) => ({
      account: u.account,
      chainId: chain.id,
      master: masterFromPrivateKey(u.key),
      peers,
      request: reads.request,
      marketplace: { publicClient, walletClient: u.walletClient, market, token },
    }));
    const readers: DownloadDeps[] = uploaderAccounts.map((u) => ({
      peers,
      account: u.account,
      request: reads.request,
      marketplace: { publicClient, market, registry },
    }));
    const repairers: RepairDeps[] = repairerAccounts.map((r) => ({
      account: r.account,
      chainId: chain.id,
      publicClient,
      walletClient: r.walletClient,
      market,
      registry,
      peers,
      request: reads.request,
    }));
    for (const u of uploaderAccounts) {
      for (const r of repairerAccounts)
        await setDelegate({ publicClient, walletClient: u.walletClient, market }, { delegate: r.account.address, permissions: PERMISSION.repair });
    }
    phases.setup = seconds(t0);

    const files: ChaosFile[] = planSizes({ random }, { files: config.files, maxBytes: config.maxBytes }).map((size, index) => ({
      index,
      size,
      sha256: '',
      user: 0,
      stripes: 0,
      holders: new Map(),
      corrupt: new Map(),
      uploadErrors: [],
    }));
    const state: ChaosState = {
      files,
      outage: new Map(),
      uploading: 0,
      tolerance: redundancy.parityShards,
      dataColumns: k,
      maxOut: config.nodes - columns - 1,
    };
    // The bound counts from the end of the setup (chain, deployment, node start-up: slow on a loaded machine, and fault-free).
    const chaosDeadline = performance.now() + config.timeLimitSeconds * 750;
    let uploaded = 0;
    const corrupted = new Set<number>();
    for (const p of cluster.peers) p.proxy?.setFaults(true);
    const faults = startFaultScheduler(
      {
        cluster,
        state,
        random,
        log,
        onCorrupt: (sha, file) => {
          reads.watch(sha);
          corrupted.add(file.index);
        },
      },
      {
        intervalMs: config.faultIntervalMs,
        longKills: config.longKills,
        longKillReady: () => uploaded >= Math.min(config.files, Math.max(3, Math.ceil(config.files / 10))),
        longKillMaxMs: Math.max(60_000, config.timeLimitSeconds * 200),
      },
    );

    // Repairs while faults go on: files with a column on a peer killed for good, once its heartbeat can have lapsed.
    const tally = emptyRepairTally();
    const repairStop = new AbortController();
    const downSince = new Map<number, number>();
    const repairLoop = (async () => {
      while (!repairStop.signal.aborted) {
        for (const [peer, kind] of state.outage) if (kind === 'killedLong' && !downSince.has(peer)) downSince.set(peer, performance.now());
        for (const peer of downSince.keys()) if (state.outage.get(peer) !== 'killedLong') downSince.delete(peer);
        const lapsed = [...downSince]
          .filter(([, at]) => performance.now() - at > (config.lapseFreeSeconds + config.heartbeatTimeout / 3 + 2) * 1000)
          .map(([p]) => p);
        const damaged = files.filter((f) => f.handle !== undefined && [...f.holders.values()].some((p) => lapsed.includes(p)));
        if (damaged.length > 0)
          await repairFiles({ repairers, peerIndexOf, tally, log }, { files: damaged, fillTimeoutSeconds: 60, timeoutMs: 15_000, signal: repairStop.signal });
        await sleep(2000);
      }
    })();

    const tUpload = performance.now();
    const up = await uploadFiles(
      {
        uploaders,
        peerIndexOf,
        log,
        onUploaded: () => {
          uploaded += 1;
        },
      },
      {
        files,
        work,
        redundancy,
        epochs: Math.ceil((config.timeLimitSeconds * 2) / config.epochLength) + 5,
        attempts: 6,
        fillTimeoutSeconds: 60,
        deadline: chaosDeadline,
      },
    );
    phases.upload = seconds(tUpload);

    // A download pass while faults still go on (failures here are not losses: the final check decides).
    const tReads = performance.now();
    const during =
      performance.now() < chaosDeadline ? await verifyFiles({ readers, log }, { files, work, concurrency: 2, timeoutMs: 15_000 }) : { intact: 0, failures: [] };
    phases.readsDuringChaos = seconds(tReads);
    // Let the long kills run their course (their columns repaired elsewhere), within the time bound.
    const tWait = performance.now();
    while (faults.longKillsDone() < config.longKills && performance.now() < chaosDeadline) await sleep(1000);
    phases.longKillWait = seconds(tWait);

    // Heal: no more faults, every peer running, proxies plain pipes.
    const tHeal = performance.now();
    repairStop.abort();
    await repairLoop;
    await faults.stop();
    for (const p of cluster.peers) p.proxy?.setFaults(false);
    await sleep(config.heartbeatTimeout * 500);
    phases.heal = seconds(tHeal);

    // A last repair pass over every file (repairFile returns at once for a healthy file).
    const tRepair = performance.now();
    await repairFiles({ repairers, peerIndexOf, tally, log }, { files, fillTimeoutSeconds: 60, timeoutMs: 15_000 });
    phases.finalRepair = seconds(tRepair);

    const tVerify = performance.now();
    const final = await verifyFiles({ readers, log }, { files, work, concurrency: 2 });
    phases.verify = seconds(tVerify);

    const proxyCounts = { proxyLatency: 0, proxyReset: 0, proxyTruncate: 0 };
    for (const p of cluster.peers) {
      const c = p.proxy?.counts();
      if (c) for (const key of Object.keys(proxyCounts) as (keyof typeof proxyCounts)[]) proxyCounts[key] += c[key];
    }
    const written = files.filter((f) => f.handle !== undefined);
    const head = await publicClient.getBlock();
    const { out: _out, ...shownConfig } = config;
    const result: ChaosResult = {
      date: new Date().toISOString(),
      seed: config.seed,
      config: shownConfig,
      machine: { cpus: os.cpus().length, node: process.version, loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 10) / 10) },
      sizeDistribution: SIZE_DISTRIBUTION,
      durationSeconds: seconds(t0),
      chainClockAheadSeconds: Number(head.timestamp) - Math.floor(Date.now() / 1000),
      blocks: Number(head.number),
      phasesSeconds: phases,
      filesPlanned: files.length,
      filesWritten: written.length,
      bytesWritten: written.reduce((sum, f) => sum + f.size, 0),
      largestFileBytes: Math.max(0, ...written.map((f) => f.size)),
      filesIntact: final.intact,
      faultsInjected: { ...faults.counts(), ...proxyCounts },
      repairs: tally.columns,
      filesRepaired: tally.files,
      slotsFreed: tally.freed,
      repairErrors: tally.errors,
      repairLastErrors: tally.lastErrors,
      corruptShardsServed: reads.served(),
      corruptedFiles: corrupted.size,
      uploadRetries: up.retries,
      notWritten: files
        .filter((f) => f.handle === undefined)
        .map((f) => ({ file: f.index, size: f.size, reason: f.uploadErrors.at(-1) ?? 'not attempted before the time bound' })),
      readsDuringChaos: { intact: during.intact, failed: during.failures.length, failures: during.failures.slice(0, 20) },
      peaks: { ...faults.peaks(), tolerance: state.tolerance },
      lost: final.failures,
      faultLog: faults.events,
    };
    keepWork = result.lost.length > 0;
    return result;
  } catch (err) {
    keepWork = true;
    throw err;
  } finally {
    await cluster.stop();
    if (keepWork) log(`chaos: logs kept in ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}
