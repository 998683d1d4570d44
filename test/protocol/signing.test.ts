import { expect } from 'chai';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { SignatureError } from '../../protocol/errors';
import { canonicalRequest, EMPTY_SHA256, parseSignedHeaders, SIGNED_HEADERS, signRequest, verifyRequest } from '../../protocol/signing';

describe('protocol/signing', () => {
  const account = privateKeyToAccount(generatePrivateKey());
  const node = privateKeyToAccount(generatePrivateKey()).address;
  const base = { method: 'PUT', pathAndQuery: '/slots/0xab/shards/0?fileId=0x01&column=0', contentSha256: EMPTY_SHA256, node, chainId: 31337 };
  const now = 1_700_000_000_000;
  const sign = (overrides: Partial<typeof base> & { timestamp?: number } = {}) => signRequest({ account }, { ...base, timestamp: now / 1000, ...overrides });
  const verify = async (headers: Record<string, string>, overrides: Partial<typeof base> = {}, at = now) =>
    verifyRequest({ now: () => at }, { signed: parseSignedHeaders((n) => headers[n]), ...base, ...overrides, maxSkewSeconds: 300 });
  const codeOf = async (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => (e instanceof SignatureError ? e.code : `unexpected ${String(e)}`),
    );

  it('puts every field on its own line, in a fixed order, starting with the version', () => {
    const text = canonicalRequest({ ...base, timestamp: 1, nonce: '0xAA' });
    expect(text.split('\n')).to.deep.equal(['dhost-request/1', 'PUT', base.pathAndQuery, EMPTY_SHA256, node.toLowerCase(), '31337', '1', '0xaa']);
  });

  it('recovers the signer of a request it signed', async () => {
    expect(await verify(await sign())).to.equal(account.address);
  });

  it('uses a fresh nonce for every request', async () => {
    const a = await sign();
    const b = await sign();
    expect(a[SIGNED_HEADERS.nonce]).to.not.equal(b[SIGNED_HEADERS.nonce]);
  });

  describe('when a header is missing or malformed', () => {
    for (const name of Object.values(SIGNED_HEADERS)) {
      it(`refuses a request without ${name} as MISSING_SIGNATURE`, async () => {
        const headers = await sign();
        delete headers[name];
        expect(await codeOf(verify(headers))).to.equal('MISSING_SIGNATURE');
      });
    }
    const malformed: [string, string][] = [
      [SIGNED_HEADERS.signature, '0x1234'],
      [SIGNED_HEADERS.address, '0xnothex'],
      [SIGNED_HEADERS.timestamp, '-5'],
      [SIGNED_HEADERS.nonce, '0x00'],
      [SIGNED_HEADERS.contentSha256, 'abc'],
    ];
    for (const [name, value] of malformed) {
      it(`refuses ${name}: ${value} as MALFORMED_SIGNATURE`, async () => {
        const headers = { ...(await sign()), [name]: value };
        expect(await codeOf(verify(headers))).to.equal('MALFORMED_SIGNATURE');
      });
    }
  });

  describe('when the request differs from what was signed', () => {
    const cases: [string, Partial<typeof base>][] = [
      ['another method', { method: 'DELETE' }],
      ['another path', { pathAndQuery: '/slots/0xab/shards/1?fileId=0x01&column=0' }],
      ['another node (replay at another node)', { node: privateKeyToAccount(generatePrivateKey()).address }],
      ['another chain (replay on another chain)', { chainId: 1 }],
    ];
    for (const [label, overrides] of cases) {
      it(`refuses ${label} as BAD_SIGNATURE`, async () => {
        expect(await codeOf(verify(await sign(), overrides))).to.equal('BAD_SIGNATURE');
      });
    }

    it('refuses a body hash other than the signed one as BAD_SIGNATURE', async () => {
      const headers = { ...(await sign()), [SIGNED_HEADERS.contentSha256]: 'ab'.repeat(32) };
      expect(await codeOf(verify(headers))).to.equal('BAD_SIGNATURE');
    });

    it('refuses a signature claimed for another address as BAD_SIGNATURE', async () => {
      const headers = { ...(await sign()), [SIGNED_HEADERS.address]: node };
      expect(await codeOf(verify(headers))).to.equal('BAD_SIGNATURE');
    });
  });

  describe('when the timestamp is outside the window', () => {
    it('accepts exactly 300 s of skew either way', async () => {
      const headers = await sign();
      expect(await codeOf(verify(headers, {}, now + 300_000))).to.equal('ok');
      expect(await codeOf(verify(headers, {}, now - 300_000))).to.equal('ok');
    });

    it('refuses 301 s of skew either way as STALE_SIGNATURE', async () => {
      const headers = await sign();
      expect(await codeOf(verify(headers, {}, now + 301_000))).to.equal('STALE_SIGNATURE');
      expect(await codeOf(verify(headers, {}, now - 301_000))).to.equal('STALE_SIGNATURE');
    });
  });
});
