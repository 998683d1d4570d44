import { expect } from 'chai';
import { type Hex, hashTypedData, recoverTypedDataAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { ASSIGNMENT_HEADER, assignmentTypedData, formatAssignmentHeader, parseAssignmentHeader } from '../../../protocol/chain/market';
import { InvalidInputError } from '../../../protocol/errors';
import { randomFileId } from '../../../protocol/ids';

describe('protocol/chain/market', () => {
  const owner = privateKeyToAccount(generatePrivateKey());
  const peer = privateKeyToAccount(generatePrivateKey()).address;
  const market = privateKeyToAccount(generatePrivateKey()).address;
  const base = { chainId: 31337, market, dealId: randomFileId() as Hex, column: 3, peer, deadline: 1_800_000_000n };

  describe('assignmentTypedData', () => {
    it('describes the Assignment in the Marketplace domain', () => {
      const typed = assignmentTypedData(base);
      expect(typed.domain).to.deep.equal({ name: 'dhost Marketplace', version: '1', chainId: 31337, verifyingContract: market });
      expect(typed.primaryType).to.equal('Assignment');
      expect(typed.types.Assignment.map((f) => `${f.type} ${f.name}`)).to.deep.equal(['bytes32 dealId', 'uint16 column', 'address peer', 'uint64 deadline']);
      expect(typed.message).to.deep.equal({ dealId: base.dealId, column: 3, peer, deadline: 1_800_000_000n });
    });

    it('is signed by an account and recovers to it', async () => {
      const typed = assignmentTypedData(base);
      const signature = await owner.signTypedData(typed);
      expect(await recoverTypedDataAddress({ ...typed, signature })).to.equal(owner.address);
    });

    it('binds every field: another peer, column, deadline, chain or market gives another digest', () => {
      const digest = hashTypedData(assignmentTypedData(base));
      const variants = [{ peer: market }, { column: 4 }, { deadline: base.deadline + 1n }, { chainId: 1 }, { market: peer }, { dealId: randomFileId() as Hex }];
      for (const v of variants) expect(hashTypedData(assignmentTypedData({ ...base, ...v }))).to.not.equal(digest);
    });
  });

  describe('the assignment header', () => {
    it('is named x-dhost-assignment', () => {
      expect(ASSIGNMENT_HEADER).to.equal('x-dhost-assignment');
    });

    it('round-trips deadline and signature as <deadline>.<signature>', async () => {
      const signature = await owner.signTypedData(assignmentTypedData(base));
      const text = formatAssignmentHeader({ deadline: base.deadline, signature });
      expect(text).to.equal(`1800000000.${signature}`);
      expect(parseAssignmentHeader(text)).to.deep.equal({ deadline: base.deadline, signature });
    });

    const sig = `0x${'ab'.repeat(65)}`;
    const malformed = [
      '',
      sig,
      `1800000000${sig}`,
      `1800000000.`,
      `-1.${sig}`,
      `01.${sig}`,
      `1.5.${sig}`,
      `1.0x${'ab'.repeat(64)}`,
      `1.${sig}ff`,
      `${2n ** 64n}.${sig}`,
      `x.${sig}`,
    ];
    for (const text of malformed) {
      it(`refuses ${JSON.stringify(text.length > 30 ? `${text.slice(0, 16)}…${text.slice(-6)} (${text.length} chars)` : text)} as InvalidInputError`, () => {
        expect(() => parseAssignmentHeader(text)).to.throw(InvalidInputError);
      });
    }

    it('accepts the largest uint64 deadline', () => {
      expect(parseAssignmentHeader(`${2n ** 64n - 1n}.${sig}`).deadline).to.equal(2n ** 64n - 1n);
    });
  });
});
