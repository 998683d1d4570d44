import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type DownloadDeps, downloadToFile } from '../../client';
import type { ChaosFile } from './chaos-state';

/** A file that did not come back as it was uploaded. */
export interface FileFailure {
  file: number;
  size: number;
  reason: string;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of fs.createReadStream(file)) hash.update(piece as Buffer);
  return hash.digest('hex');
}

/**
 * Downloads every uploaded file of `files` (its handle, as its uploader: `readers[file.user]`)
 * with `concurrency` downloads at once, into `work`, and compares the bytes' SHA-256 with the
 * upload's. Returns how many came back intact and, for the others, why (the download's error, or
 * "content differs"). Files that were never written are left out.
 *
 * @example
 * const { intact, failures } = await verifyFiles({ readers }, { files, work, concurrency: 2 });
 */
export async function verifyFiles(
  deps: { readers: DownloadDeps[]; log: (line: string) => void },
  params: { files: ChaosFile[]; work: string; concurrency: number; timeoutMs?: number },
): Promise<{ intact: number; failures: FileFailure[] }> {
  const queue = params.files.filter((f) => f.handle !== undefined);
  const failures: FileFailure[] = [];
  let intact = 0;
  await Promise.all(
    Array.from({ length: params.concurrency }, async (_, worker) => {
      const out = path.join(params.work, `verify-${worker}.bin`);
      for (let file = queue.shift(); file; file = queue.shift()) {
        try {
          await downloadToFile(deps.readers[file.user], { handle: file.handle as string, outPath: out, timeoutMs: params.timeoutMs });
          if ((await sha256Of(out)) === file.sha256) intact += 1;
          else failures.push({ file: file.index, size: file.size, reason: 'content differs from what was uploaded' });
        } catch (err) {
          const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
          failures.push({ file: file.index, size: file.size, reason });
          deps.log(`download: file ${file.index} failed: ${reason}`);
        } finally {
          fs.rmSync(out, { force: true });
        }
      }
    }),
  );
  failures.sort((a, b) => a.file - b.file);
  return { intact, failures };
}
