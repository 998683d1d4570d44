import { encodeAbiParameters, type Hex, keccak256 } from 'viem';
import { InvalidInputError } from './errors';

/** 32 random bytes chosen by the client per upload, as 0x-prefixed lowercase hex. */
export type FileId = Hex & { readonly __brand: 'FileId' };
/** keccak256(abi.encode(bytes32 fileId, uint256 column)), as 0x-prefixed lowercase hex. */
export type SlotId = Hex & { readonly __brand: 'SlotId' };

const BYTES32 = /^0x[0-9a-f]{64}$/;

/** The largest number of columns a file may have. */
export const MAX_COLUMNS = 256;

/**
 * Checks that `value` is 32 bytes of lowercase 0x-hex and brands it as a file id.
 *
 * @example
 * const fileId = parseFileId('0x' + '11'.repeat(32));
 */
export function parseFileId(value: string): FileId {
  if (!BYTES32.test(value)) throw new InvalidInputError('file id must be 0x followed by 64 lowercase hex digits', { details: { fileId: value } });
  return value as FileId;
}

/**
 * Checks that `value` is 32 bytes of lowercase 0x-hex and brands it as a slot id.
 *
 * @example
 * const slotId = parseSlotId(req.param('slotId'));
 */
export function parseSlotId(value: string): SlotId {
  if (!BYTES32.test(value)) throw new InvalidInputError('slot id must be 0x followed by 64 lowercase hex digits', { details: { slotId: value } });
  return value as SlotId;
}

/**
 * Checks a column number: an integer in [0, MAX_COLUMNS).
 *
 * @example
 * parseColumn('2'); // 2
 */
export function parseColumn(value: string | number): number {
  const n = typeof value === 'number' ? value : /^(0|[1-9][0-9]{0,3})$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n >= MAX_COLUMNS)
    throw new InvalidInputError(`column must be an integer in [0, ${MAX_COLUMNS})`, { details: { column: value } });
  return n;
}

/**
 * The slot id of a file's column, as DESIGN.md defines it: keccak(file id, column). Once deals
 * exist the file id is the deal id, and the chain computes the same value.
 *
 * @example
 * const slotId = slotIdOf(fileId, 0);
 */
export function slotIdOf(fileId: FileId, column: number): SlotId {
  parseColumn(column);
  return keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint256' }], [fileId, BigInt(column)])) as SlotId;
}

/**
 * Makes a fresh random file id (32 bytes from the platform CSPRNG).
 *
 * @example
 * const fileId = randomFileId();
 */
export function randomFileId(): FileId {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `0x${Buffer.from(bytes).toString('hex')}` as FileId;
}
