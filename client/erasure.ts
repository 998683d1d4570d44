import * as ReedSolomon from '@ronomon/reed-solomon';
import { InvalidInputError } from '../protocol/errors';
import { NotEnoughShardsError } from './errors';

/** Largest number of data shards the native codec takes (k ≤ 24). */
export const MAX_DATA_SHARDS: number = ReedSolomon.MAX_K;
/** Largest number of parity shards the native codec takes (m ≤ 6). */
export const MAX_PARITY_SHARDS: number = ReedSolomon.MAX_M;
/** Every shard's length must be a multiple of this (the codec works on 8-byte words). */
export const SHARD_ALIGNMENT = 8;

/** A Reed-Solomon RS(k, m) code over GF(2^8): k data shards, m parity shards, any k of the k + m rebuild the rest. */
export interface ErasureCodec {
  readonly dataShards: number;
  readonly parityShards: number;
  /**
   * The m parity shards of k data shards (all the same length, a multiple of 8). Runs in the libuv
   * threadpool, not on the event loop.
   */
  encode(data: readonly Uint8Array[]): Promise<Uint8Array[]>;
  /**
   * Encodes a whole stripe in place: `stripe` holds k data shards of `shardBytes` each, one after
   * the other, then room for the m parity shards, which are written there. No copy, no allocation
   * (the upload reuses its stripe buffers).
   */
  encodeStripe(stripe: Uint8Array, shardBytes: number): Promise<void>;
  /**
   * Rebuilds the `wanted` shards (indices 0..k+m−1; data first, then parity) from the present ones
   * (`undefined` = lost). Returns them in the order of `wanted` (a wanted shard that is present is
   * returned as is). Fewer than k present → `NotEnoughShardsError`.
   */
  reconstruct(shards: readonly (Uint8Array | undefined)[], wanted: readonly number[]): Promise<Uint8Array[]>;
}

function checkCount(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new InvalidInputError(`${what} must be an integer in [${min}, ${max}]`, { details: { [what]: value } });
}

function run(context: ReedSolomon.Context, sources: number, targets: number, data: Buffer, parity: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    ReedSolomon.encode(context, sources, targets, data, 0, data.length, parity, 0, parity.length, (error?: Error) => (error ? reject(error) : resolve()));
  });
}

/**
 * A Reed-Solomon codec: a thin typed wrapper over the native `@ronomon/reed-solomon` addon (Cauchy
 * matrix, systematic: the data shards are stored as they are). Shards are copied into one
 * contiguous buffer per call, so callers keep ownership of theirs.
 *
 * @example
 * const codec = createCodec({ dataShards: 4, parityShards: 2 });
 * const parity = await codec.encode(data); // 2 shards, each data[0].length bytes
 * const [d0] = await codec.reconstruct([undefined, data[1], data[2], data[3], parity[0], undefined], [0]);
 */
export function createCodec(params: { dataShards: number; parityShards: number }): ErasureCodec {
  const k = params.dataShards;
  const m = params.parityShards;
  checkCount(k, 1, MAX_DATA_SHARDS, 'dataShards');
  checkCount(m, 1, MAX_PARITY_SHARDS, 'parityShards');
  const context = ReedSolomon.create(k, m);
  let scratch: Buffer | undefined;
  let scratchBusy = false;
  const sizeOf = (shards: readonly (Uint8Array | undefined)[]): number => {
    const present = shards.filter((s): s is Uint8Array => s !== undefined);
    const size = present[0]?.length ?? 0;
    if (size === 0 || size % SHARD_ALIGNMENT !== 0 || present.some((s) => s.length !== size)) {
      throw new InvalidInputError(`shards must all have the same non-zero length, a multiple of ${SHARD_ALIGNMENT}`, {
        details: { lengths: present.map((s) => s.length) },
      });
    }
    return size;
  };
  return {
    dataShards: k,
    parityShards: m,
    async encode(data) {
      if (data.length !== k) throw new InvalidInputError(`encode needs exactly ${k} data shards`, { details: { given: data.length } });
      const size = sizeOf(data);
      // The data are copied into one contiguous input for the coder: a scratch buffer kept between
      // calls (never returned), fresh only while another encode of this codec is running. Not
      // zero-filled: every byte of it and of the parity is written.
      const reuse = scratch !== undefined && scratch.length === size * k && !scratchBusy;
      const buffer = reuse ? (scratch as Buffer) : Buffer.allocUnsafeSlow(size * k);
      if (!scratchBusy) {
        scratch = buffer;
        scratchBusy = true;
      }
      const owned = buffer === scratch;
      data.forEach((d, i) => {
        buffer.set(d, i * size);
      });
      const parity = Buffer.allocUnsafeSlow(size * m);
      let targets = 0;
      for (let i = k; i < k + m; i++) targets |= 1 << i;
      try {
        await run(context, (1 << k) - 1, targets, buffer, parity);
      } finally {
        if (owned) scratchBusy = false;
      }
      return Array.from({ length: m }, (_, i) => parity.subarray(i * size, (i + 1) * size));
    },
    async encodeStripe(stripe, shardBytes) {
      if (!Number.isInteger(shardBytes) || shardBytes <= 0 || shardBytes % SHARD_ALIGNMENT !== 0 || stripe.length !== shardBytes * (k + m)) {
        throw new InvalidInputError(`a stripe is ${k + m} shards of one length, a multiple of ${SHARD_ALIGNMENT}`, {
          details: { stripeBytes: stripe.length, shardBytes },
        });
      }
      const whole = Buffer.from(stripe.buffer, stripe.byteOffset, stripe.length);
      let targets = 0;
      for (let i = k; i < k + m; i++) targets |= 1 << i;
      await run(context, (1 << k) - 1, targets, whole.subarray(0, shardBytes * k), whole.subarray(shardBytes * k));
    },
    async reconstruct(shards, wanted) {
      if (shards.length !== k + m)
        throw new InvalidInputError(`reconstruct needs ${k + m} shard slots (undefined for lost ones)`, { details: { given: shards.length } });
      for (const w of wanted) checkCount(w, 0, k + m - 1, 'wanted');
      const present = shards.filter((s) => s !== undefined).length;
      if (present < k) throw new NotEnoughShardsError({ dataShards: k, parityShards: m, present });
      const missing = wanted.filter((w) => shards[w] === undefined);
      if (missing.length === 0) return wanted.map((w) => shards[w] as Uint8Array);
      const size = sizeOf(shards);
      const buffer = Buffer.alloc(size * k);
      const parity = Buffer.alloc(size * m);
      let sources = 0;
      let targets = 0;
      shards.forEach((s, i) => {
        if (s === undefined) return;
        sources |= 1 << i;
        if (i < k) buffer.set(s, i * size);
        else parity.set(s, (i - k) * size);
      });
      for (const w of missing) targets |= 1 << w;
      await run(context, sources, targets, buffer, parity);
      const at = (i: number) => (i < k ? buffer.subarray(i * size, (i + 1) * size) : parity.subarray((i - k) * size, (i - k + 1) * size));
      return wanted.map((w) => shards[w] ?? at(w));
    },
  };
}
