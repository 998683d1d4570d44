import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DhostError } from '../../protocol/errors';
import { type FileId, slotIdOf } from '../../protocol/ids';

/**
 * The shard to corrupt is not on the peer's disk (never stored there, or dropped).
 *
 * @example
 * throw new ShardFileMissingError('no shard 3 of column 1 under /tmp/node-4');
 */
export class ShardFileMissingError extends DhostError {
  override readonly code: string = 'CHAOS_SHARD_MISSING';
}

/**
 * Flips one byte of a stored shard on a peer's disk, behind the peer's back (its index keeps the
 * old hash and size, as after bit rot): `<dataDir>/slots/<2 hex>/<slotId>/<index>` with slotId =
 * slotIdOf(fileId, column). Returns the path, the byte flipped and the SHA-256 of the corrupted
 * bytes, so a reader that receives exactly these bytes can be recognised.
 *
 * @example
 * const hit = corruptShard({ random }, { dataDir: peer.dataDir, fileId, column: 1, index: 0 });
 */
export function corruptShard(
  deps: { random: () => number },
  params: { dataDir: string; fileId: FileId; column: number; index: number },
): { file: string; offset: number; corruptSha256: string } {
  const slotId = slotIdOf(params.fileId, params.column);
  const file = path.join(params.dataDir, 'slots', slotId.slice(2, 4), slotId, String(params.index));
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (err) {
    throw new ShardFileMissingError(`no shard ${params.index} of column ${params.column} at ${file}`, { cause: err });
  }
  if (size === 0) throw new ShardFileMissingError(`shard ${params.index} of column ${params.column} at ${file} is empty`);
  const offset = Math.floor(deps.random() * size);
  const fd = fs.openSync(file, 'r+');
  try {
    const one = Buffer.alloc(1);
    fs.readSync(fd, one, 0, 1, offset);
    one[0] ^= 1 + Math.floor(deps.random() * 255);
    fs.writeSync(fd, one, 0, 1, offset);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return { file, offset, corruptSha256: createHash('sha256').update(fs.readFileSync(file)).digest('hex') };
}
