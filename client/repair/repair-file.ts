import { type Address, bytesToHex, type Hex, hexToBytes, isAddressEqual, type LocalAccount } from 'viem';
import { readDeal, readDelegation, readSlot, SLOT_STATE } from '../../protocol/chain/market';
import { InvalidInputError } from '../../protocol/errors';
import { type FileId, slotIdOf } from '../../protocol/ids';
import { createKeccakHasher, dealRootOf, depthOf, rootFromProof, slotRootLeaf, slotRootProof } from '../../protocol/merkle';
import { PERMISSION, TOKEN_SCOPE } from '../../protocol/retrieval-token';
import { selfIssuedAccess } from '../access/self-issued-access';
import type { ChainReader, ChainWriter } from '../deal/chain-deps';
import { marketplaceAbi } from '../deal/marketplace-abi';
import { sendTransaction } from '../deal/send-transaction';
import { signAssignment } from '../deal/sign-assignment';
import { isPublicEndpoint } from '../endpoint-policy';
import { ContractRevertError, DealNotFoundError, ManifestError, SlotNotFilledError } from '../errors';
import { type FileHealth, readFileHealth } from '../file-health';
import type { PeerExperienceLog } from '../peer-experience';
import type { PeerSource } from '../peer-source';
import { placeColumns } from '../placement';
import type { HttpRequester } from '../transport/http-requester';
import { putSlotCommit } from '../transport/put-slot-commit';
import { DealNotRepairableError, RepairIntegrityError, RepairSourcesError } from './errors';
import { excludeOperators } from './exclude-operators';
import { getSlotCommit } from './get-slot-commit';
import type { OnRepairProgress } from './progress';
import { readManifestCopy } from './read-manifest-copy';
import { type RebuildTarget, type RepairSource, rebuildColumns } from './rebuild-columns';

/**
 * What `repairFile` needs. `account` is the deal owner or a delegate the owner gave the repair
 * permission on chain: it signs the new assignments, the writes and a repair-scope token for its
 * reads (and `walletClient` sends as it). Neither needs the file key.
 */
export interface RepairDeps {
  account: Pick<LocalAccount, 'signMessage' | 'signTypedData' | 'address'>;
  chainId: number;
  publicClient: ChainReader;
  walletClient: ChainWriter;
  market: Address;
  registry: Address;
  /** Where new peers come from (holders of the file's columns are left out). */
  peers: PeerSource;
  request?: HttpRequester;
  /** Peers that fail a read, a write or a fill are recorded here. */
  experience?: PeerExperienceLog;
}

/** What `repairFile` is asked to do. */
export interface RepairParams {
  /** The deal to repair: a file's id, or a batch's deal id. */
  fileId: FileId;
  /** Repair when the weakest stripe has at most this many healthy columns. Default n − 1: any loss. */
  threshold?: number;
  /** Seconds a new peer has to fill its slot (its assignment's deadline). Default 600. */
  fillTimeoutSeconds?: number;
  /** How often slots are read while waiting for fills, milliseconds. Default 1000. */
  pollIntervalMs?: number;
  /** Timeout of each request to a holder, milliseconds. */
  timeoutMs?: number;
  /** Refuse loopback, private and link-local endpoints (all networks but the devnet). */
  publicEndpointsOnly?: boolean;
  /** Passes over the stripes at most (each new pass goes to new peers). Default 3. */
  maxRounds?: number;
  signal?: AbortSignal;
  onProgress?: OnRepairProgress;
}

/** What a repair did. */
export interface RepairReport {
  fileId: FileId;
  /** The file's health when the repair began. */
  before: FileHealth;
  /** Columns rebuilt and filled on chain by a new peer. */
  rebuilt: { column: number; peer: Address; endpoint: string }[];
  /** Columns that need repair but cannot be refilled yet (holder down but its heartbeat not lapsed, …). */
  waiting: { column: number; reason: string }[];
  /** Columns whose lapsed slot this repair freed (`freeLapsedSlot`). */
  freed: number[];
  /** Bytes fetched from sources (shards and manifest copies) and sent to new peers. */
  fetchedBytes: number;
  sentBytes: number;
  /** The file's health after the repair; absent when nothing was done. */
  after?: FileHealth;
}

/** Default seconds a repairing peer has to fill its slot. */
export const DEFAULT_REPAIR_FILL_TIMEOUT_SECONDS = 600;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Repairs a Reed-Solomon deal — a file (manifest v2) or a batch of files (docs/batches.md) — without
 * any key: brings every lost column back on a new peer that fills the column's slot on chain
 * (docs/repair.md). `fileId` is the deal id (a batch's deal id, not one of its files' ids).
 *
 * 1. Reads the deal and the `manifest` bytes from any holder; their clear header (`repairLayoutOf`:
 *    a v2 manifest's or a batch header) gives k, m, the shard size, the stripe count and, for a
 *    batch, how many file manifests follow the stripes. A replicated file (v1) or batch →
 *    `ReplicatedRepairUnsupportedError`.
 * 2. Reads the file's health (`readFileHealth`). When the weakest stripe has more than `threshold`
 *    healthy columns, returns at once. Each column that is not healthy: an Empty or Freed slot can
 *    be refilled; a Filled slot whose holder's heartbeat has lapsed (`lapseFreeSeconds`) is freed
 *    first (`freeLapsedSlot`); otherwise it is reported `waiting`.
 * 3. Sources: the healthy columns whose holder gives its slot root (`GET /slots/:slotId/commit`)
 *    with a proof that leads to the deal root on chain, fastest first.
 * 4. New peers: `placeColumns`, leaving out every operator that holds (or held) a column of the file.
 * 5. One streaming pass (`rebuildColumns`): per stripe k source shards → the missing shards,
 *    sent to the new peers under fresh owner assignments; the tail (a batch's file manifests, then
 *    the `manifest` bytes, the same in every column) is copied and closes each column.
 * 6. The rebuilt slot roots and the known ones (column order) must give the deal root
 *    (`dealRootOf`); otherwise `RepairIntegrityError` and nothing is committed — another pass with
 *    other sources and other peers is tried while both remain.
 * 7. Each new peer gets its commit notice (`slotRootProof` over all n slot roots) and the repair
 *    waits until its slot is Filled by it; a peer that fails or does not fill by its deadline is
 *    recorded (`experience.recordFailure`) and the column goes to another peer in the next pass.
 *
 * @example
 * const report = await repairFile(
 *   { account, chainId, publicClient, walletClient, market, registry, peers: chainPeerSource({ publicClient, registry, market }) },
 *   { fileId, onProgress: (p) => console.log(p.phase, p.bytes, p.totalBytes) },
 * );
 * console.log(report.rebuilt, report.waiting, report.after?.minHealthy);
 */
export async function repairFile(deps: RepairDeps, params: RepairParams): Promise<RepairReport> {
  const { fileId, signal } = params;
  const { market, registry } = deps;
  const fillTimeoutSeconds = params.fillTimeoutSeconds ?? DEFAULT_REPAIR_FILL_TIMEOUT_SECONDS;
  const pollIntervalMs = params.pollIntervalMs ?? 1000;
  const maxRounds = params.maxRounds ?? 3;
  if (!Number.isInteger(fillTimeoutSeconds) || fillTimeoutSeconds < 1) throw new InvalidInputError('fill timeout must be a positive number of seconds');
  if (!Number.isInteger(maxRounds) || maxRounds < 1) throw new InvalidInputError('maxRounds must be a positive integer');
  if (!isAddressEqual(deps.walletClient.account.address, deps.account.address)) {
    throw new InvalidInputError('the wallet client must send as the account that signs the assignments', {
      details: { account: deps.account.address, wallet: deps.walletClient.account.address },
    });
  }
  const endpointAllowed = params.publicEndpointsOnly ? isPublicEndpoint : undefined;

  const deal = await readDeal(deps, { market, dealId: fileId });
  if (!deal) throw new DealNotFoundError(`no deal ${fileId} on chain`, { details: { dealId: fileId } });
  const epoch = await deps.publicClient.readContract({ address: market, abi: marketplaceAbi, functionName: 'currentEpoch' });
  const refuse = (why: string) => new DealNotRepairableError(`deal ${fileId} cannot be repaired: ${why}`, { details: { dealId: fileId } });
  if (!isAddressEqual(deal.owner, deps.account.address)) {
    const granted = await readDelegation(deps, { market, owner: deal.owner, delegate: deps.account.address });
    if ((granted & PERMISSION.repair) === 0) {
      throw refuse(`its owner ${deal.owner} has not made ${deps.account.address} a repair delegate (dhost delegate ${deps.account.address} --repair)`);
    }
  }
  if (deal.cancelled) throw refuse('it was cancelled');
  if (epoch >= deal.endEpoch) throw refuse('it has ended');
  if (BigInt(deal.root) === 0n) throw refuse('its root is not committed');

  // Sources are read with a short repair-scope token this account signs: the owner's, or a delegate's.
  const access = await selfIssuedAccess(
    { account: deps.account, publicClient: deps.publicClient },
    { chainId: deps.chainId, market, dealId: fileId, scope: TOKEN_SCOPE.repair },
  );
  const copy = await readManifestCopy({ ...deps, access }, { market, registry, fileId, endpointAllowed, timeoutMs: params.timeoutMs, signal });
  const layout = copy.layout;
  const k = layout.dataShards;
  const n = k + layout.parityShards;
  if (n !== deal.slots) {
    throw new ManifestError(
      `the ${layout.kind === 'batch' ? 'batch header' : 'manifest'} says rs:${k}+${layout.parityShards}, the deal has ${deal.slots} slots`,
      { details: { fileId, slots: deal.slots } },
    );
  }
  const healthOf = () =>
    readFileHealth(deps, { market, registry, fileId, dataColumns: k, stripes: layout.stripeCount, endpointAllowed, timeoutMs: params.timeoutMs, signal });
  const before = await healthOf();
  const report: RepairReport = { fileId, before, rebuilt: [], waiting: [], freed: [], fetchedBytes: 0, sentBytes: 0 };
  const threshold = params.threshold ?? n - 1;
  if (before.minHealthy > threshold) return report;

  // Which lost columns can be refilled now: Empty or Freed slots, and Filled ones whose holder lapsed (freed here).
  const refill: number[] = [];
  for (const c of before.perColumn) {
    if (c.state === 'healthy') continue;
    const slotId = slotIdOf(fileId, c.column);
    let slot = await readSlot(deps, { market, slotId });
    if (slot.state === SLOT_STATE.Filled) {
      try {
        await sendTransaction(deps, { address: market, abi: marketplaceAbi, functionName: 'freeLapsedSlot', args: [slotId], signal });
        report.freed.push(c.column);
      } catch (err) {
        if (!(err instanceof ContractRevertError)) throw err;
        if (err.errorName === 'HeartbeatNotLapsed') {
          const at = new Date(Number(err.args[1] as bigint) * 1000).toISOString();
          report.waiting.push({
            column: c.column,
            reason: `holder ${slot.peer} is ${c.state}; its slot can be freed once its heartbeat has lapsed, from ${at}`,
          });
          continue;
        }
        if (err.errorName !== 'SlotNotFilled') throw err;
      }
      slot = await readSlot(deps, { market, slotId });
    }
    if (slot.state === SLOT_STATE.Empty || slot.state === SLOT_STATE.Freed) refill.push(c.column);
    else report.waiting.push({ column: c.column, reason: slot.state === SLOT_STATE.Finished ? 'the slot is finished' : `the slot is filled by ${slot.peer}` });
  }
  if (refill.length === 0) return report;

  // Sources: healthy columns whose holder proves its slot root in the deal root.
  const keccak = await createKeccakHasher();
  const dealRoot = hexToBytes(deal.root);
  const knownRoots = new Map<number, Uint8Array>();
  let sources: RepairSource[] = [];
  const reasons: string[] = [];
  await Promise.all(
    before.perColumn
      .filter((c) => c.state === 'healthy' && c.endpoint && c.operator)
      .map(async (c) => {
        const endpoint = c.endpoint as string;
        try {
          const { commit, rttMs } = await getSlotCommit(deps, { endpoint, slotId: slotIdOf(fileId, c.column), timeoutMs: params.timeoutMs, signal });
          const slotRoot = hexToBytes(commit.slotRoot as Hex);
          const proven =
            BigInt(commit.segmentCount) === deal.segmentCount &&
            commit.rootProof.length === depthOf(n) &&
            Buffer.from(
              rootFromProof(keccak, {
                leaf: slotRootLeaf(keccak, c.column, slotRoot),
                index: c.column,
                count: n,
                proof: commit.rootProof.map((node) => hexToBytes(node as Hex)),
              }),
            ).equals(dealRoot);
          if (!proven) {
            reasons.push(`column ${c.column}: its slot root is not proven in the deal root`);
            return;
          }
          knownRoots.set(c.column, slotRoot);
          sources.push({ column: c.column, operator: c.operator as Address, endpoint, slotRoot, rttMs });
        } catch (err) {
          signal?.throwIfAborted();
          reasons.push(`column ${c.column} at ${endpoint}: ${message(err)}`);
        }
      }),
  );
  sources.sort((a, b) => a.rttMs - b.rttMs);

  const chainNow = async (): Promise<bigint> => {
    const local = BigInt(Math.floor(Date.now() / 1000));
    const head = await deps.publicClient.getBlock();
    return head.timestamp > local ? head.timestamp : local;
  };
  // Never two columns of a file on one operator: leave out every holder, and every peer tried here.
  const excluded = new Set<Address>(before.perColumn.flatMap((c) => (c.operator ? [c.operator] : [])));
  const peers = excludeOperators(deps.peers, () => excluded);
  const compute = Array.from({ length: n }, (_, c) => c).filter((c) => !knownRoots.has(c));
  let manifest = copy.bytes;
  let pending = refill;
  let lastError: unknown;
  for (let round = 0; round < maxRounds && pending.length > 0; round++) {
    if (sources.length < k) {
      if (lastError instanceof RepairIntegrityError) throw lastError;
      throw new RepairSourcesError({ fileId, needed: k, usable: sources.length, reasons }, { cause: lastError });
    }
    const placement = await placeColumns(
      { peers, request: deps.request, experience: deps.experience },
      {
        columns: pending.length,
        columnBytes: Number(deal.bytesPerSlot),
        shardBytes: Math.max(layout.shardSize, manifest.length),
        chainId: deps.chainId,
        publicEndpointsOnly: params.publicEndpointsOnly,
        signal,
      },
    );
    const deadline = (await chainNow()) + BigInt(fillTimeoutSeconds);
    const targets: RebuildTarget[] = await Promise.all(
      pending.map(async (column, i) => {
        const peer = placement.chosen[i];
        excluded.add(peer.operator);
        const signed = await signAssignment(
          { account: deps.account, chainId: deps.chainId, market },
          { dealId: fileId, column, peer: peer.operator, deadline },
        );
        return { column, peer: { operator: peer.operator, endpoint: peer.endpoint }, assignmentHeader: signed.header };
      }),
    );

    let allRoots: Uint8Array[] = [];
    const out = await rebuildColumns(
      { ...deps, access },
      {
        fileId,
        layout,
        sources,
        targets,
        compute,
        manifest,
        accept: (roots) => {
          allRoots = Array.from({ length: n }, (_, c) => knownRoots.get(c) ?? (roots.get(c) as Uint8Array));
          return Buffer.from(dealRootOf(keccak, allRoots)).equals(dealRoot);
        },
        timeoutMs: params.timeoutMs,
        signal,
        onProgress: params.onProgress,
      },
    );
    report.fetchedBytes += out.fetchedBytes;
    report.sentBytes += out.sentBytes;
    manifest = out.manifest;
    const rootOk = out.badSources.length === 0 && allRoots.length === n && Buffer.from(dealRootOf(keccak, allRoots)).equals(dealRoot);
    if (!rootOk) {
      // A source served other bytes than it committed to: the new peers got bad bytes, so the next pass uses other peers and sources.
      const suspects = out.badSources.length > 0 ? out.badSources : out.uncheckedSources;
      lastError = new RepairIntegrityError({
        fileId,
        badColumns: out.badSources,
        reason:
          out.badSources.length > 0
            ? `source column(s) ${out.badSources.join(', ')} served bytes that do not hash to their slot roots`
            : `the rebuilt slot roots do not lead to the deal root${out.uncheckedSources.length ? ` (unchecked sources: ${out.uncheckedSources.join(', ')})` : ''}`,
      });
      for (const s of sources) if (suspects.includes(s.column)) deps.experience?.recordFailure(s.operator);
      if (suspects.length === 0) throw lastError;
      sources = sources.filter((s) => !suspects.includes(s.column));
      continue;
    }

    // Commit notices, then wait for the fills.
    const failed = new Map(out.failed);
    const live = targets.filter((t) => !failed.has(t.column));
    await Promise.all(
      live.map(async (t) => {
        try {
          await putSlotCommit(deps, {
            peer: t.peer,
            fileId,
            column: t.column,
            commit: {
              slotRoot: bytesToHex(allRoots[t.column]),
              rootProof: slotRootProof(keccak, allRoots, t.column).map((node) => bytesToHex(node)),
              segmentCount: Number(deal.segmentCount),
            },
            timeoutMs: params.timeoutMs,
            signal,
          });
        } catch (err) {
          signal?.throwIfAborted();
          deps.experience?.recordFailure(t.peer.operator);
          failed.set(t.column, `${t.peer.endpoint}: commit notice refused: ${message(err)}`);
        }
      }),
    );
    const waitingFill = targets.filter((t) => !failed.has(t.column));
    while (waitingFill.length > 0) {
      const slots = await Promise.all(waitingFill.map((t) => readSlot(deps, { market, slotId: slotIdOf(fileId, t.column) })));
      const now = await chainNow();
      for (let i = waitingFill.length - 1; i >= 0; i--) {
        const t = waitingFill[i];
        if (slots[i].state === SLOT_STATE.Filled) {
          report.rebuilt.push({ column: t.column, peer: slots[i].peer, endpoint: t.peer.endpoint });
          deps.experience?.recordSuccess(t.peer.operator);
          waitingFill.splice(i, 1);
        } else if (now > deadline) {
          deps.experience?.recordFailure(t.peer.operator);
          failed.set(t.column, `${t.peer.endpoint}: did not fill its slot by its assignment deadline`);
          waitingFill.splice(i, 1);
        }
      }
      params.onProgress?.({ phase: 'repair-fill', bytes: report.rebuilt.length, totalBytes: refill.length });
      if (waitingFill.length > 0) await sleep(pollIntervalMs, signal);
    }
    pending = [...failed.keys()].sort((a, b) => a - b);
    if (pending.length > 0) {
      lastError = new SlotNotFilledError({ dealId: fileId, columns: pending, reasons: [...failed.values()] });
    }
  }
  if (pending.length > 0) throw lastError;
  report.rebuilt.sort((a, b) => a.column - b.column);
  report.after = await healthOf();
  return report;
}
