import { expect } from 'chai';
import { type Hex, hashMessage, recoverMessageAddress, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createRecoverAddress } from '../../../node/signature/recover-address';
import { SignatureError } from '../../../protocol/errors';
import { parseSignedHeaders, signRequest, verifyRequest } from '../../../protocol/signing';

describe('node/signature: recovering the signer of a signed request', () => {
  const native = createRecoverAddress();
  const javascript = createRecoverAddress({ prefer: 'javascript' });

  it('runs on the libsecp256k1 addon here, and on viem when asked', () => {
    expect(native.kind).to.equal('libsecp256k1');
    expect(javascript.kind).to.equal('javascript');
  });

  it('recovers the same address as viem for 50 random keys and messages, with v as 27/28 or as 0/1', async () => {
    for (let i = 0; i < 50; i++) {
      const account = privateKeyToAccount(generatePrivateKey());
      const message = `request ${i} ${toHex(crypto.getRandomValues(new Uint8Array(16)))}`;
      const signature = await account.signMessage({ message });
      const hash = hashMessage(message);
      expect(await native.recoverAddress({ hash, signature })).to.equal(account.address);
      expect(await recoverMessageAddress({ message, signature })).to.equal(account.address);
      const yParity = `${signature.slice(0, 130)}${signature.endsWith('1b') ? '00' : '01'}` as Hex;
      expect(await native.recoverAddress({ hash, signature: yParity })).to.equal(account.address);
    }
  });

  it('throws for a signature of the wrong length, a bad v, or r = 0, as viem does', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const signature = await account.signMessage({ message: 'x' });
    const hash = hashMessage('x');
    const bad: Hex[] = [
      signature.slice(0, 128) as Hex, // 64 bytes
      `${signature.slice(0, 130)}02` as Hex, // v = 2
      `0x${'00'.repeat(32)}${signature.slice(66)}` as Hex, // r = 0
    ];
    for (const s of bad) {
      for (const impl of [native, javascript]) {
        const outcome = await impl.recoverAddress({ hash, signature: s }).then(
          () => 'recovered',
          () => 'threw',
        );
        expect(outcome, `${impl.kind} with ${s.slice(-4)}`).to.equal('threw');
      }
    }
  });

  it('verifyRequest with it accepts the signer’s request and refuses another key’s signature as BAD_SIGNATURE', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const other = privateKeyToAccount(generatePrivateKey());
    const request = { method: 'PUT', pathAndQuery: '/slots/0x01/shards/0', contentSha256: 'ab'.repeat(32), node: other.address, chainId: 31337 };
    const headers = await signRequest({ account }, request);
    const verify = (h: Record<string, string>) =>
      verifyRequest(
        { now: Date.now, recoverAddress: native.recoverAddress },
        {
          signed: parseSignedHeaders((name) => h[name]),
          method: 'PUT',
          pathAndQuery: request.pathAndQuery,
          node: other.address,
          chainId: 31337,
          maxSkewSeconds: 300,
        },
      );
    expect(await verify(headers)).to.equal(account.address);
    const forged = { ...(await signRequest({ account: other }, request)), 'x-dhost-address': account.address };
    const err = await verify(forged).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(SignatureError);
    expect((err as SignatureError).code).to.equal('BAD_SIGNATURE');
  });
});
