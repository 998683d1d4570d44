import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { fileSource } from '../file-source';
import type { Progress } from '../progress';
import type { Redundancy } from '../redundancy';
import { upload } from '../upload';
import { uploadEntryOf } from '../upload-journaled';
import type { DaemonDeps } from './daemon-deps';

/** Where an upload stands: `upload` (bytes encrypted and sent), `manifest`, `fill` (slots filled on chain), then `done` or `failed`. */
export type UploadPhase = 'starting' | Progress['phase'] | 'done' | 'failed';

/** One upload the daemon runs, as `GET /api/uploads/:id` shows it. */
export interface UploadJob {
  id: string;
  name: string;
  size: number;
  phase: UploadPhase;
  /** Counted in the phase's unit (file bytes, or filled slots in `fill`). */
  bytes: number;
  total: number;
  /** File bytes per second sent so far (phase `upload`), 0 before. */
  bytesPerSecond: number;
  startedAt: number;
  result?: { fileId: string; dealId?: string; escrow?: string; redundancy: Redundancy };
  error?: { code: string; message: string };
}

/** The daemon's running and finished uploads (finished ones kept for `keepFinished`). */
export interface UploadJobs {
  /** Starts uploading a spooled file; the file is removed when the upload ends, whatever the outcome. */
  start(p: { file: string; name: string; size: number; redundancy?: Redundancy; epochs?: number }): UploadJob;
  get(id: string): UploadJob | undefined;
  /** Aborts every running upload (their deals are cancelled by `upload`) and waits for them to end. */
  stop(): Promise<void>;
}

/**
 * Runs uploads in the background for the daemon: each a spooled file given to the SDK's `upload`
 * (deal, encryption, erasure coding, placement), its progress and speed recorded for polling, the
 * result recorded in the keystore, and the spooled file removed at the end.
 *
 * @example
 * const jobs = createUploadJobs(deps);
 * const job = jobs.start({ file, name: 'a.txt', size: 12 });
 */
export function createUploadJobs(deps: DaemonDeps, options: { keepFinishedMs?: number } = {}): UploadJobs {
  const now = deps.now ?? Date.now;
  const jobs = new Map<string, UploadJob>();
  const running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  const keepFinishedMs = options.keepFinishedMs ?? 60 * 60_000;

  const run = async (job: UploadJob, p: { file: string; redundancy?: Redundancy; epochs?: number }, signal: AbortSignal) => {
    let sendStartedAt = 0;
    let outcome: Pick<UploadJob, 'phase' | 'result' | 'error'>;
    try {
      const source = await fileSource(p.file);
      const result = await upload(
        {
          account: deps.account,
          chainId: deps.chainId,
          master: deps.master,
          peers: deps.peers,
          request: deps.request,
          marketplace: {
            publicClient: deps.publicClient,
            walletClient: deps.walletClient,
            market: deps.contracts.market,
            token: deps.contracts.token,
          },
        },
        {
          source,
          name: job.name,
          redundancy: p.redundancy,
          epochs: p.epochs,
          publicEndpointsOnly: deps.publicEndpointsOnly,
          signal,
          onProgress: (progress) => {
            job.phase = progress.phase;
            job.bytes = progress.bytes;
            job.total = progress.totalBytes;
            if (progress.phase === 'upload') {
              if (sendStartedAt === 0) sendStartedAt = now();
              const seconds = (now() - sendStartedAt) / 1000;
              job.bytesPerSecond = seconds > 0 ? Math.round(progress.bytes / seconds) : 0;
            }
          },
        },
      );
      await deps.keystore.recordUpload(uploadEntryOf(result, new Date(now())));
      outcome = {
        phase: 'done',
        result: { fileId: result.fileId, dealId: result.deal?.dealId, escrow: result.deal?.escrow.toString(), redundancy: result.redundancy },
      };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      outcome = {
        phase: 'failed',
        error: { code: typeof code === 'string' ? code : 'UPLOAD_FAILED', message: err instanceof Error ? err.message : String(err) },
      };
    }
    // The spooled file is gone before the upload is seen to end.
    try {
      await rm(p.file, { force: true });
    } finally {
      Object.assign(job, outcome);
      running.delete(job.id);
      setTimeout(() => jobs.delete(job.id), keepFinishedMs).unref();
    }
  };

  return {
    start(p) {
      const id = randomBytes(12).toString('base64url');
      const job: UploadJob = { id, name: p.name, size: p.size, phase: 'starting', bytes: 0, total: p.size, bytesPerSecond: 0, startedAt: now() };
      jobs.set(id, job);
      const abort = new AbortController();
      running.set(id, { abort, done: run(job, p, abort.signal) });
      return job;
    },
    get: (id) => jobs.get(id),
    async stop() {
      const all = [...running.values()];
      for (const r of all) r.abort.abort(new Error('the daemon is stopping'));
      await Promise.all(all.map((r) => r.done));
    },
  };
}
