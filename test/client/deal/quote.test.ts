import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { chunkCountOf, lastChunkLengthOf } from '../../../client/chunker';
import { TAG_BYTES } from '../../../client/cipher';
import { bytesPerSlotOf, GIB, quoteDeal, slotPriceAt } from '../../../client/deal/quote';
import { encryptManifest, MANIFEST_VERSION, type Manifest, manifestBytesBound } from '../../../client/manifest';
import { InvalidInputError } from '../../../protocol/errors';
import { randomFileId } from '../../../protocol/ids';

function realManifest(p: { name: string; mediaType: string; size: number; chunkSize: number; replicas: number; createdAt?: string }): Manifest {
  const chunkCount = chunkCountOf(p.size, p.chunkSize);
  return {
    version: MANIFEST_VERSION,
    fileId: randomFileId(),
    name: p.name,
    size: p.size,
    mediaType: p.mediaType,
    chunkSize: p.chunkSize,
    chunkCount,
    cipher: 'aes-256-gcm',
    redundancy: { scheme: 'replicate', replicas: p.replicas },
    lastChunkLength: lastChunkLengthOf(p.size, p.chunkSize),
    columns: Array.from({ length: p.replicas }, (_, column) => ({ column, shardSha256: randomBytes(32 * chunkCount).toString('base64') })),
    createdAt: p.createdAt ?? new Date().toISOString(),
  };
}

describe('deal quotes', () => {
  describe('the price of a slot at a peer', () => {
    it('is the asking price per GiB scaled to the slot, exact on whole GiBs', () => {
      expect(slotPriceAt({ pricePerGiBEpoch: 7n * 10n ** 18n, bytesPerSlot: 3n * GIB })).to.equal(21n * 10n ** 18n);
      expect(slotPriceAt({ pricePerGiBEpoch: 10n ** 18n, bytesPerSlot: GIB / 2n })).to.equal(5n * 10n ** 17n);
    });

    it('rounds up, so a peer is never paid less than it asks', () => {
      expect(slotPriceAt({ pricePerGiBEpoch: 1n, bytesPerSlot: 1n })).to.equal(1n);
      expect(slotPriceAt({ pricePerGiBEpoch: 3n, bytesPerSlot: GIB + 1n })).to.equal(4n);
      expect(slotPriceAt({ pricePerGiBEpoch: 0n, bytesPerSlot: 5n * GIB })).to.equal(0n);
    });

    it('equals ceil(price × bytes / 2^30) for all prices and sizes (property)', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: 10n ** 24n }), fc.bigInt({ min: 0n, max: 2n ** 50n }), (price, bytes) => {
          const got = slotPriceAt({ pricePerGiBEpoch: price, bytesPerSlot: bytes });
          expect(got * GIB >= price * bytes).to.equal(true);
          expect(got === 0n || (got - 1n) * GIB < price * bytes).to.equal(true);
        }),
      );
    });
  });

  describe('a quote for the chosen peers', () => {
    it('asks the highest slot price among them for every slot, and escrows slots × epochs × price', () => {
      const bytesPerSlot = 3n * GIB;
      const quote = quoteDeal({ peers: [{ pricePerGiBEpoch: 2n }, { pricePerGiBEpoch: 5n }, { pricePerGiBEpoch: 1n }], bytesPerSlot, durationEpochs: 30 });
      expect(quote).to.deep.equal({ bytesPerSlot, pricePerSlotEpoch: 15n, slots: 3, durationEpochs: 30, escrow: 3n * 30n * 15n });
    });

    it('refuses no peers and durations that are not a positive uint32', () => {
      expect(() => quoteDeal({ peers: [], bytesPerSlot: 1n, durationEpochs: 1 })).to.throw(InvalidInputError);
      for (const d of [0, -1, 1.5, 2 ** 32]) {
        expect(() => quoteDeal({ peers: [{ pricePerGiBEpoch: 1n }], bytesPerSlot: 1n, durationEpochs: d })).to.throw(InvalidInputError);
      }
    });
  });

  describe('the bytes of a slot', () => {
    it('are the shards (chunk + tag each) plus the manifest bound', () => {
      const p = { name: 'a.bin', mediaType: 'application/octet-stream', size: 3 * 4096 + 1, chunkSize: 4096, replicas: 3 };
      expect(bytesPerSlotOf(p)).to.equal(4n * BigInt(4096 + TAG_BYTES) + BigInt(manifestBytesBound(p)));
    });

    it('are the manifest bound alone for an empty file', () => {
      const p = { name: 'empty', mediaType: 'text/plain', size: 0, chunkSize: 4096, replicas: 2 };
      expect(bytesPerSlotOf(p)).to.equal(BigInt(manifestBytesBound(p)));
    });
  });

  describe('the manifest size bound', () => {
    const fileKey = new Uint8Array(randomBytes(32));

    it('is never exceeded by the real encrypted manifest, and is tight to the date field (property)', () => {
      fc.assert(
        fc.property(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 100 }),
          fc.integer({ min: 0, max: 4 * 1024 * 1024 }),
          fc.constantFrom(4096, 65536, 1024 * 1024),
          fc.integer({ min: 1, max: 8 }),
          (name, mediaType, size, chunkSize, replicas) => {
            const manifest = realManifest({ name, mediaType, size, chunkSize, replicas });
            const bound = manifestBytesBound({ name, mediaType, size, chunkSize, replicas });
            for (let column = 0; column < replicas; column++) {
              const bytes = encryptManifest({ fileKey, column, manifest });
              expect(bytes.length).to.be.at.most(bound);
              // Only the date can be shorter than the longest one the bound assumes (27 characters).
              expect(bound - bytes.length).to.equal(27 - manifest.createdAt.length);
            }
          },
        ),
        { numRuns: 60 },
      );
    });

    it('holds for names full of characters JSON escapes, at any date a manifest accepts', () => {
      const name = '"\\\n\t\u0000\u001f\u2028\u{1F600}'.repeat(100);
      const p = { name, mediaType: 'a/"b"', size: 12345, chunkSize: 4096, replicas: 3 };
      for (const createdAt of [new Date(0).toISOString(), '9999-12-31T23:59:59.999Z']) {
        const bytes = encryptManifest({ fileKey, column: 0, manifest: realManifest({ ...p, createdAt }) });
        expect(bytes.length).to.be.at.most(manifestBytesBound(p));
      }
    });
  });
});
