import { expect } from 'chai';
import fc from 'fast-check';
import { chooseRedundancy, columnCountOf, formatRedundancy, parseRedundancy } from '../../client/redundancy';
import { InvalidInputError } from '../../protocol/errors';

describe('redundancy', () => {
  describe('parseRedundancy', () => {
    it('reads rs:K+M and replicate:N, and formatRedundancy writes them back', () => {
      expect(parseRedundancy('rs:4+2')).to.deep.equal({ scheme: 'rs', dataShards: 4, parityShards: 2 });
      expect(parseRedundancy('rs:10+6')).to.deep.equal({ scheme: 'rs', dataShards: 10, parityShards: 6 });
      expect(parseRedundancy('replicate:3')).to.deep.equal({ scheme: 'replicate', replicas: 3 });
      for (const text of ['rs:4+2', 'rs:10+6', 'replicate:1']) expect(formatRedundancy(parseRedundancy(text))).to.equal(text);
    });

    it('refuses other spellings and codes the codec cannot run', () => {
      for (const text of ['rs:4', 'rs:4+0', 'rs:0+2', 'rs:25+2', 'rs:4+7', 'replicate:0', 'replicate:', 'mirror:3', 'rs:4+2 ', '']) {
        expect(() => parseRedundancy(text), text).to.throw(InvalidInputError);
      }
    });
  });

  describe('chooseRedundancy (the default from the network size)', () => {
    it('is RS(4,2) below 16 active peers and RS(10,6) from 16', () => {
      expect(chooseRedundancy({ activePeers: 8 })).to.deep.equal({ redundancy: { scheme: 'rs', dataShards: 4, parityShards: 2 } });
      expect(chooseRedundancy({ activePeers: 15 })).to.deep.equal({ redundancy: { scheme: 'rs', dataShards: 4, parityShards: 2 } });
      expect(chooseRedundancy({ activePeers: 16 })).to.deep.equal({ redundancy: { scheme: 'rs', dataShards: 10, parityShards: 6 } });
    });

    it('takes fewer parity shards, then replication, when too few peers are eligible, and says why', () => {
      const rs101 = chooseRedundancy({ activePeers: 20, eligiblePeers: 11 });
      expect(rs101.redundancy).to.deep.equal({ scheme: 'rs', dataShards: 10, parityShards: 1 });
      expect(rs101.reason).to.match(/11 eligible/);
      expect(chooseRedundancy({ activePeers: 8, eligiblePeers: 5 }).redundancy).to.deep.equal({ scheme: 'rs', dataShards: 4, parityShards: 1 });
      const rep = chooseRedundancy({ activePeers: 8, eligiblePeers: 4 });
      expect(rep.redundancy).to.deep.equal({ scheme: 'replicate', replicas: 3 });
      expect(rep.reason).to.match(/replication/);
      expect(chooseRedundancy({ activePeers: 2 }).redundancy).to.deep.equal({ scheme: 'replicate', replicas: 2 });
    });

    it('never asks for more columns than eligible peers while one is eligible, and gives a reason exactly when it shrinks (property)', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), (active, eligibleBound) => {
          const eligible = Math.min(active, eligibleBound);
          const choice = chooseRedundancy({ activePeers: active, eligiblePeers: eligible });
          expect(columnCountOf(choice.redundancy)).to.be.at.most(eligible);
          const preferred = active >= 16 ? 16 : 6;
          expect(choice.reason === undefined).to.equal(eligible >= preferred);
        }),
      );
    });
  });
});
