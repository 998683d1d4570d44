import fs from 'node:fs';
import path from 'node:path';
import { type LoadedUploadJournal, readUploadJournal, UPLOAD_JOURNAL_DIR } from './upload-journal';

/**
 * The journals of unfinished uploads under `home`, read and checked (journals that fail their
 * check are left out): `dhost upload` uses it to point at `--resume` for a file already started.
 *
 * @example
 * const pending = listUploadJournals({ home, master }).filter((j) => j.record.files[0].path === file);
 */
export function listUploadJournals(deps: { home: string; master: Uint8Array }): LoadedUploadJournal[] {
  const dir = path.join(deps.home, UPLOAD_JOURNAL_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: LoadedUploadJournal[] = [];
  for (const name of names.filter((n) => /^0x[0-9a-f]{64}\.json$/.test(n)).sort()) {
    try {
      out.push(readUploadJournal(deps, { file: path.join(dir, name) }));
    } catch {
      // Not ours, or altered: not offered.
    }
  }
  return out;
}
