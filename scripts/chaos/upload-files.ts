import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileSource, type Redundancy, type UploadDeps, upload } from '../../client';
import type { ChaosFile } from './chaos-state';

/** Writes `size` random bytes to `file` and returns their SHA-256 (hex). */
function writeRandomFile(file: string, size: number): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'w');
  try {
    const buf = Buffer.allocUnsafe(Math.min(size, 4 * 1024 * 1024));
    for (let written = 0; written < size; ) {
      const n = Math.min(buf.length, size - written);
      randomFillSync(buf, 0, n);
      hash.update(buf.subarray(0, n));
      fs.writeSync(fd, buf, 0, n);
      written += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * Uploads `files` with one worker per entry of `uploaders` (each its own account, so deal
 * transactions never race for a nonce): random content written to `work`, hashed, uploaded with
 * the client SDK (`upload`, the deal on chain) and deleted. A failed upload (a peer killed under it,
 * a reset connection that outlasted the client's own retries) is retried up to `attempts` times,
 * a few seconds apart; each failure is kept in `uploadErrors`. Stops taking new files once `deadline` (ms, performance
 * clock) has passed. `peerIndexOf` maps the column holders' operators; `onUploaded` runs per file.
 *
 * @example
 * await uploadFiles({ uploaders, peerIndexOf, log }, { files, work, redundancy, epochs: 100, attempts: 3, deadline });
 */
export async function uploadFiles(
  deps: {
    uploaders: UploadDeps[];
    peerIndexOf: (operator: string) => number | undefined;
    log: (line: string) => void;
    onUploaded?: (file: ChaosFile) => void;
  },
  params: { files: ChaosFile[]; work: string; redundancy: Redundancy; epochs: number; attempts: number; fillTimeoutSeconds: number; deadline: number },
): Promise<{ retries: number }> {
  const queue = [...params.files];
  let retries = 0;
  const dataColumns = params.redundancy.scheme === 'rs' ? params.redundancy.dataShards : 1;
  await Promise.all(
    deps.uploaders.map(async (uploader, user) => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        if (performance.now() > params.deadline) return;
        const input = path.join(params.work, `input-${file.index}.bin`);
        file.sha256 = writeRandomFile(input, file.size);
        file.user = user;
        try {
          for (let attempt = 1; attempt <= params.attempts && file.handle === undefined; attempt++) {
            try {
              const result = await upload(uploader, {
                source: await fileSource(input),
                name: `chaos-${file.index}.bin`,
                redundancy: params.redundancy,
                epochs: params.epochs,
                fillTimeoutSeconds: params.fillTimeoutSeconds,
                pollIntervalMs: 500,
              });
              for (const c of result.columns) {
                const peer = deps.peerIndexOf(c.operator);
                if (peer !== undefined) file.holders.set(c.column, peer);
              }
              file.fileId = result.fileId;
              file.stripes = Math.ceil(result.chunkCount / dataColumns);
              file.handle = result.handle;
              deps.log(
                `upload: file ${file.index} (${file.size} B) on peers ${[...file.holders.values()].join(',')}${result.moves.length ? `, ${result.moves.length} column(s) moved` : ''}`,
              );
              deps.onUploaded?.(file);
            } catch (err) {
              const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
              file.uploadErrors.push(text);
              deps.log(`upload: file ${file.index} attempt ${attempt} failed: ${text}`);
              if (attempt < params.attempts) {
                retries += 1;
                // Give the fault time to pass (a restart, a pause) before the next attempt.
                await new Promise((r) => setTimeout(r, 1000 + Math.random() * 3000));
              }
            }
          }
        } finally {
          fs.rmSync(input, { force: true });
        }
      }
    }),
  );
  return { retries };
}
