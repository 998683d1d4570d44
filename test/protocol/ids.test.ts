import { expect } from 'chai';
import fc from 'fast-check';
import { encodeAbiParameters, keccak256 } from 'viem';
import { parseShardIndex, shardPath } from '../../protocol/column';
import { InvalidInputError } from '../../protocol/errors';
import { MAX_COLUMNS, parseColumn, parseFileId, parseSlotId, randomFileId, slotIdOf } from '../../protocol/ids';

describe('protocol/ids and protocol/column', () => {
  it('derives the slot id as keccak(abi.encode(fileId, column))', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: MAX_COLUMNS - 1 }), (bytes, column) => {
        const fileId = parseFileId(`0x${Buffer.from(bytes).toString('hex')}`);
        const expected = keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint256' }], [fileId, BigInt(column)]));
        expect(slotIdOf(fileId, column)).to.equal(expected);
      }),
    );
  });

  it('gives every column of a file its own slot id', () => {
    const fileId = randomFileId();
    const ids = new Set(Array.from({ length: 16 }, (_, c) => slotIdOf(fileId, c)));
    expect(ids.size).to.equal(16);
  });

  it('makes random 32-byte file ids', () => {
    const a = randomFileId();
    expect(a).to.match(/^0x[0-9a-f]{64}$/);
    expect(randomFileId()).to.not.equal(a);
  });

  describe('when an id is malformed', () => {
    for (const bad of ['', '0x', '0x1234', `0x${'A'.repeat(64)}`, `${'a'.repeat(64)}`, `0x${'a'.repeat(65)}`, `0x${'g'.repeat(64)}`, '../../etc/passwd']) {
      it(`refuses ${JSON.stringify(bad)} as a file id and as a slot id`, () => {
        expect(() => parseFileId(bad)).to.throw(InvalidInputError);
        expect(() => parseSlotId(bad)).to.throw(InvalidInputError);
      });
    }
    for (const bad of ['-1', '01', '1.5', '256', 'x', '', ' 1']) {
      it(`refuses column ${JSON.stringify(bad)}`, () => {
        expect(() => parseColumn(bad)).to.throw(InvalidInputError);
      });
    }
    for (const bad of ['-1', '00', '1e3', '2147483648', 'Manifest', '', '..', '%2e%2e']) {
      it(`refuses shard index ${JSON.stringify(bad)}`, () => {
        expect(() => parseShardIndex(bad)).to.throw(InvalidInputError);
      });
    }
  });

  it('reads shard indices and the manifest index', () => {
    expect(parseShardIndex('0')).to.equal(0);
    expect(parseShardIndex('2147483647')).to.equal(2147483647);
    expect(parseShardIndex('manifest')).to.equal('manifest');
  });

  it('puts the file id and column in the query of a shard path', () => {
    const fileId = randomFileId();
    const slotId = slotIdOf(fileId, 2);
    expect(shardPath({ slotId, index: 7, fileId, column: 2 })).to.equal(`/slots/${slotId}/shards/7?fileId=${fileId}&column=2`);
    expect(shardPath({ slotId, index: 'manifest' })).to.equal(`/slots/${slotId}/shards/manifest`);
  });
});
