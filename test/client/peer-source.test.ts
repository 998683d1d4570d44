import { expect } from 'chai';
import { hasRepeatedMisses } from '../../client/peer-source';

describe('client/peer-source', () => {
  describe('hasRepeatedMisses: when clients stop choosing a peer', () => {
    const cases: [bigint, bigint, boolean][] = [
      [0n, 0n, false], // new peer, no record
      [0n, 1n, false], // one unlucky miss
      [100n, 2n, false], // 2 of 102: under 10 %
      [10n, 2n, true], // 2 of 12: repeated and over 10 %
      [0n, 3n, true],
      [27n, 3n, false], // exactly 10 % is still tolerated
      [26n, 3n, true],
    ];
    for (const [epochsProven, proofsMissed, expected] of cases) {
      it(`${expected ? 'drops' : 'keeps'} a peer with ${epochsProven} proofs kept and ${proofsMissed} missed`, () => {
        expect(hasRepeatedMisses({ epochsProven, proofsMissed })).to.equal(expected);
      });
    }
  });
});
