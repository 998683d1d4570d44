import { randomBytes } from 'node:crypto';
import { appendFile, chmod, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Hex } from 'viem';
import { z } from 'zod';
import { KeystoreError } from './errors';

/** One line of the upload log. Holds no key: a handle is re-made from the master and the file id. */
export const uploadEntrySchema = z.object({
  fileId: z.string().regex(/^0x[0-9a-f]{64}$/),
  name: z.string(),
  size: z.number().int().nonnegative(),
  chunkCount: z.number().int().nonnegative(),
  replicas: z.number().int().positive(),
  columns: z.array(z.object({ column: z.number().int().nonnegative(), slotId: z.string(), operator: z.string(), endpoint: z.string() })),
  uploadedAt: z.string(),
  /**
   * Only for a file uploaded in a batch (docs/batches.md): the batch's deal id, the shard index of
   * the file's manifest and of its first stripe, all a handle needs beside the file id and the key.
   */
  batch: z
    .object({
      dealId: z.string().regex(/^0x[0-9a-f]{64}$/),
      manifestIndex: z.number().int().nonnegative(),
      firstShard: z.number().int().nonnegative(),
    })
    .optional(),
});
/** A recorded upload. */
export type UploadEntry = z.infer<typeof uploadEntrySchema>;

/** The local keystore: the account key and the log of uploads, in one folder. */
export interface Keystore {
  readonly home: string;
  /** The account's private key; made (32 random bytes, file mode 0600) on first use. */
  loadOrCreateAccountKey(): Promise<Hex>;
  /** Appends one upload to the log (one JSON line). */
  recordUpload(entry: UploadEntry): Promise<void>;
  /** Every recorded upload, oldest first; a torn (half-written) line is skipped. */
  listUploads(): Promise<UploadEntry[]>;
}

/** File names inside the keystore folder. */
export const KEYSTORE_FILES = { accountKey: 'account.key', uploads: 'uploads.jsonl' } as const;

/**
 * Opens the keystore folder `home` (the CLI passes `DHOST_HOME`, default `~/.dhost`; nothing here
 * reads the environment). The folder is made with mode 0700 when first written. Files:
 * `account.key` (0x-hex private key and a newline, mode 0600) and `uploads.jsonl` (append-only, one
 * JSON object per line, mode 0600). Losing this folder loses no file as long as the account key is
 * kept elsewhere: file keys derive from it.
 *
 * @example
 * const keystore = openKeystore({ home: path.join(os.homedir(), '.dhost') });
 * const key = await keystore.loadOrCreateAccountKey();
 */
export function openKeystore(p: { home: string }): Keystore {
  const home = p.home;
  const keyFile = path.join(home, KEYSTORE_FILES.accountKey);
  const logFile = path.join(home, KEYSTORE_FILES.uploads);
  const ensureHome = () => mkdir(home, { recursive: true, mode: 0o700 });

  const readKey = async (): Promise<Hex | undefined> => {
    let text: string;
    try {
      text = await readFile(keyFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const key = text.trim();
    if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new KeystoreError(`${keyFile} does not hold a 32-byte 0x-hex private key`, { details: { file: keyFile } });
    return key.toLowerCase() as Hex;
  };

  return {
    home,
    async loadOrCreateAccountKey() {
      const existing = await readKey();
      if (existing) return existing;
      await ensureHome();
      const key = `0x${randomBytes(32).toString('hex')}` as Hex;
      try {
        await writeFile(keyFile, `${key}\n`, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        // another process made it first: use theirs
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readKey())!;
        throw err;
      }
      await chmod(keyFile, 0o600);
      return key;
    },
    async recordUpload(entry) {
      const line = JSON.stringify(uploadEntrySchema.parse(entry));
      await ensureHome();
      let prefix = '';
      try {
        const file = await open(logFile, 'r');
        try {
          const { size } = await file.stat();
          const last = Buffer.alloc(1);
          if (size > 0) await file.read(last, 0, 1, size - 1);
          if (size > 0 && last[0] !== 0x0a) prefix = '\n'; // torn last line: start on a fresh one
        } finally {
          await file.close();
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      await appendFile(logFile, `${prefix}${line}\n`, { mode: 0o600 });
    },
    async listUploads() {
      let text: string;
      try {
        text = await readFile(logFile, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      const out: UploadEntry[] = [];
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        let json: unknown;
        try {
          json = JSON.parse(line);
        } catch {
          continue; // torn line from an interrupted write
        }
        const parsed = uploadEntrySchema.safeParse(json);
        if (parsed.success) out.push(parsed.data);
      }
      return out;
    },
  };
}
