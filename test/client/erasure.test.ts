import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { createCodec, MAX_DATA_SHARDS, MAX_PARITY_SHARDS } from '../../client/erasure';
import { NotEnoughShardsError } from '../../client/errors';
import { InvalidInputError } from '../../protocol/errors';

/** k, m, a shard size (multiple of 8) and a set of lost shard indices of the given size bound. */
const codeWithLoss = (maxLost: (m: number) => number, minLost: (m: number) => number) =>
  fc
    .oneof(
      fc.constant({ k: 4, m: 2 }),
      fc.constant({ k: 10, m: 6 }),
      fc.record({ k: fc.integer({ min: 1, max: MAX_DATA_SHARDS }), m: fc.integer({ min: 1, max: MAX_PARITY_SHARDS }) }),
    )
    .chain(({ k, m }) =>
      fc.record({
        k: fc.constant(k),
        m: fc.constant(m),
        shardSize: fc.integer({ min: 1, max: 64 }).map((w) => w * 8),
        lost: fc.uniqueArray(fc.integer({ min: 0, max: k + m - 1 }), { minLength: minLost(m), maxLength: maxLost(m) }),
      }),
    );

describe('Reed-Solomon codec', () => {
  it('gives every encode its own parity, whether the calls on one codec run one after another or at once', async () => {
    const k = 4;
    const m = 2;
    const stripes = Array.from({ length: 6 }, () => Array.from({ length: k }, () => randomBytes(1024)));
    const alone = await Promise.all(stripes.map((data) => createCodec({ dataShards: k, parityShards: m }).encode(data)));
    const codec = createCodec({ dataShards: k, parityShards: m });
    const sequential: Uint8Array[][] = [];
    for (const data of stripes) sequential.push(await codec.encode(data));
    const concurrent = await Promise.all(stripes.map((data) => codec.encode(data)));
    for (let s = 0; s < stripes.length; s++) {
      expect(sequential[s].map((p) => Buffer.from(p).toString('hex'))).to.deep.equal(alone[s].map((p) => Buffer.from(p).toString('hex')));
      expect(concurrent[s].map((p) => Buffer.from(p).toString('hex'))).to.deep.equal(alone[s].map((p) => Buffer.from(p).toString('hex')));
    }
  });

  it('rebuilds every lost shard byte for byte for any pattern of up to m lost shards (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        codeWithLoss(
          (m) => m,
          () => 0,
        ),
        async ({ k, m, shardSize, lost }) => {
          const codec = createCodec({ dataShards: k, parityShards: m });
          const data = Array.from({ length: k }, () => randomBytes(shardSize));
          const parity = await codec.encode(data);
          expect(parity).to.have.length(m);
          const all = [...data, ...parity];
          const shards = all.map((s, i) => (lost.includes(i) ? undefined : s));
          const wanted = Array.from({ length: k + m }, (_, i) => i);
          const rebuilt = await codec.reconstruct(shards, wanted);
          rebuilt.forEach((s, i) => {
            expect(Buffer.compare(s, all[i])).to.equal(0, `shard ${i} of RS(${k},${m}) with ${lost} lost`);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('fails with NotEnoughShardsError when m + 1 or more shards are lost (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        codeWithLoss(
          (m) => m + 1,
          (m) => m + 1,
        ).filter(({ k, m, lost }) => lost.length <= k + m),
        async ({ k, m, shardSize, lost }) => {
          const codec = createCodec({ dataShards: k, parityShards: m });
          const data = Array.from({ length: k }, () => randomBytes(shardSize));
          const all = [...data, ...(await codec.encode(data))];
          const shards = all.map((s, i) => (lost.includes(i) ? undefined : s));
          const err = await codec.reconstruct(shards, [0]).catch((e: unknown) => e);
          expect(err).to.be.instanceOf(NotEnoughShardsError);
          expect((err as NotEnoughShardsError).present).to.equal(k + m - lost.length);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('leaves the caller’s shards untouched and returns present shards as they are', async () => {
    const codec = createCodec({ dataShards: 4, parityShards: 2 });
    const data = Array.from({ length: 4 }, () => randomBytes(16));
    const copies = data.map((d) => Buffer.from(d));
    const parity = await codec.encode(data);
    const [d1, d0] = await codec.reconstruct([undefined, data[1], data[2], data[3], parity[0], undefined], [1, 0]);
    expect(d1).to.equal(data[1]);
    expect(Buffer.compare(d0, copies[0])).to.equal(0);
    data.forEach((d, i) => {
      expect(Buffer.compare(d, copies[i])).to.equal(0);
    });
  });

  it('refuses shards whose length is not a common multiple of 8, and out-of-range codes', async () => {
    const codec = createCodec({ dataShards: 2, parityShards: 1 });
    await expect(codec.encode([randomBytes(12), randomBytes(12)])).to.be.rejectedWith(InvalidInputError);
    await expect(codec.encode([randomBytes(16), randomBytes(8)])).to.be.rejectedWith(InvalidInputError);
    await expect(codec.encode([randomBytes(16)])).to.be.rejectedWith(InvalidInputError);
    expect(() => createCodec({ dataShards: 0, parityShards: 2 })).to.throw(InvalidInputError);
    expect(() => createCodec({ dataShards: 4, parityShards: MAX_PARITY_SHARDS + 1 })).to.throw(InvalidInputError);
  });

  describe('encodeStripe (a stripe encoded in place in one buffer)', () => {
    it('writes the parity encode would give after the k data shards, and leaves the data as it was', async () => {
      for (const [k, m, size] of [
        [4, 2, 1048592],
        [2, 2, 64],
        [10, 6, 512],
      ]) {
        const codec = createCodec({ dataShards: k, parityShards: m });
        const data = Array.from({ length: k }, () => randomBytes(size));
        const expected = await codec.encode(data);
        const stripe = Buffer.alloc((k + m) * size, 0xee);
        data.forEach((d, i) => {
          stripe.set(d, i * size);
        });
        await codec.encodeStripe(stripe, size);
        data.forEach((d, i) => {
          expect(stripe.subarray(i * size, (i + 1) * size).equals(d)).to.equal(true);
        });
        expected.forEach((p, i) => {
          expect(stripe.subarray((k + i) * size, (k + i + 1) * size).equals(Buffer.from(p)), `parity ${i} of RS(${k},${m})`).to.equal(true);
        });
      }
    });

    it('refuses a stripe that is not k + m shards of one aligned size, and writes nothing', async () => {
      const codec = createCodec({ dataShards: 4, parityShards: 2 });
      for (const [bytes, size] of [
        [6 * 64 - 8, 64],
        [6 * 60, 60],
        [0, 0],
      ]) {
        const stripe = Buffer.alloc(bytes, 0xee);
        await expect(codec.encodeStripe(stripe, size)).to.be.rejectedWith(InvalidInputError);
        expect(stripe.every((b) => b === 0xee)).to.equal(true);
      }
    });
  });
});
