import { Hono } from 'hono';
import { validator } from 'hono/validator';
import { z } from 'zod';
import { parseRedundancy } from '../../redundancy';
import type { DaemonDeps } from '../daemon-deps';
import { DaemonError } from '../daemon-error';
import { spoolBody } from '../spool-body';
import type { UploadJob, UploadJobs } from '../upload-jobs';
import { fileName, redundancyText } from './params';

/** Query values stay strings (what the typed client sends); whole numbers are checked here and read in the handler. */
const wholeNumber = z.string().regex(/^(0|[1-9][0-9]{0,15})$/, 'a whole number');
const uploadQuery = z.object({
  name: fileName,
  size: wholeNumber.refine((s) => Number(s) <= Number.MAX_SAFE_INTEGER, 'too large'),
  redundancy: redundancyText.optional(),
  epochs: wholeNumber.refine((s) => Number(s) >= 1 && Number(s) <= 1_000_000, 'epochs are 1 to 1000000').optional(),
});

/** An upload as the API shows it. */
function jobView(job: UploadJob) {
  return {
    id: job.id,
    name: job.name,
    size: job.size,
    phase: job.phase,
    bytes: job.bytes,
    total: job.total,
    bytesPerSecond: job.bytesPerSecond,
    startedAt: job.startedAt,
    result: job.result ? { fileId: job.result.fileId, dealId: job.result.dealId ?? null, escrow: job.result.escrow ?? null } : null,
    error: job.error ?? null,
  };
}

/**
 * `POST /uploads?name=&size=&redundancy=&epochs=` with the file as the raw body: the body is
 * spooled to a file in the daemon's spool folder (exactly `size` bytes, else 400
 * `UPLOAD_SIZE_MISMATCH` and nothing left behind), then uploaded in the background (deal,
 * encryption, erasure coding, placement); answers 202 with the upload's id and state.
 * `GET /uploads/:id`: its phase, bytes, total, speed, and then its file id or its error.
 *
 * @example
 * new Hono().route('/api', uploadsRoute(deps, jobs));
 */
export function uploadsRoute(deps: DaemonDeps, jobs: UploadJobs) {
  return new Hono()
    .post(
      '/uploads',
      validator('query', (value) => uploadQuery.parse(value)),
      async (c) => {
        const q = c.req.valid('query');
        const redundancy = q.redundancy === undefined ? undefined : parseRedundancy(q.redundancy);
        const size = Number(q.size);
        const file = await spoolBody(c.req.raw.body, { dir: deps.spoolDir, size, signal: c.req.raw.signal });
        const job = jobs.start({ file, name: q.name, size, redundancy, epochs: q.epochs === undefined ? undefined : Number(q.epochs) });
        return c.json(jobView(job), 202);
      },
    )
    .get('/uploads/:id', (c) => {
      const job = jobs.get(c.req.param('id'));
      if (!job) throw new DaemonError('UPLOAD_NOT_FOUND', 'no such upload (finished uploads are forgotten after an hour)');
      return c.json(jobView(job), 200);
    });
}
