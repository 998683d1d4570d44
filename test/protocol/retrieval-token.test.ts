import { expect } from 'chai';
import fc from 'fast-check';
import { type Hex, zeroAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { RetrievalTokenError } from '../../protocol/errors';
import {
  columnMask,
  decodeRetrievalToken,
  encodeRetrievalToken,
  PERMISSION,
  permissionsForScope,
  recoverTokenIssuer,
  signRetrievalToken,
  TOKEN_SCOPE,
  tokenCoversColumn,
} from '../../protocol/retrieval-token';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('protocol/retrieval-token', () => {
  const owner = privateKeyToAccount(generatePrivateKey());
  const domain = { chainId: 31337, market: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Hex };
  const dealId = `0x${'ab'.repeat(32)}` as Hex;
  const sign = (p: Partial<Parameters<typeof signRetrievalToken>[1]> = {}) =>
    signRetrievalToken({ account: owner, now: () => 1_800_000_000_000 }, { ...domain, dealId, expiresAt: 1_800_003_600n, ...p });

  it('signs with defaults: every column, any bearer, read scope, issued now, a random 32-byte nonce', async () => {
    const token = await sign();
    expect(token).to.include({ dealId, columns: 0n, grantee: zeroAddress, scope: TOKEN_SCOPE.read, issuedAt: 1_800_000_000n });
    expect(token.nonce).to.match(/^0x[0-9a-f]{64}$/);
    expect((await sign()).nonce).to.not.equal(token.nonce);
    expect(await recoverTokenIssuer(domain, token)).to.equal(owner.address);
  });

  it('encodes to 266 URL-safe characters and decodes to the same token, whatever its fields', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 8 }),
        fc.constantFrom(1, 2, 3),
        fc.bigInt({ min: 0n, max: 2n ** 63n }),
        fc.boolean(),
        async (columns, scope, issuedAt, bound) => {
          const token = await sign({ columns, scope, issuedAt, expiresAt: issuedAt + 1n, grantee: bound ? owner.address : undefined });
          const text = encodeRetrievalToken(token);
          expect(text).to.match(/^[A-Za-z0-9_-]{266}$/);
          expect(decodeRetrievalToken(text)).to.deep.equal(token);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('recovers another issuer when any signed field changes, or for another chain or market', async () => {
    const token = await sign({ columns: [0] });
    for (const changed of [
      { ...token, columns: 0n },
      { ...token, expiresAt: token.expiresAt + 1n },
      { ...token, scope: 3 },
      { ...token, grantee: owner.address },
    ]) {
      expect(await recoverTokenIssuer(domain, changed)).to.not.equal(owner.address);
    }
    expect(await recoverTokenIssuer({ ...domain, chainId: 1 }, token)).to.not.equal(owner.address);
    expect(await recoverTokenIssuer({ ...domain, market: zeroAddress }, token)).to.not.equal(owner.address);
  });

  it('refuses malformed tokens with TOKEN_MALFORMED: wrong length, alphabet, version, scope, times', async () => {
    const text = encodeRetrievalToken(await sign());
    const bytes = Buffer.from(text, 'base64url');
    const mutate = (at: number, value: number) => {
      const copy = Buffer.from(bytes);
      copy[at] = value;
      return copy.toString('base64url');
    };
    const cases = [
      '',
      'x',
      text.slice(0, -1),
      `${text}AA`,
      `${text.slice(0, 10)}+${text.slice(11)}`,
      'A'.repeat(500),
      `${text.slice(0, -1)}${ALPHABET[ALPHABET.indexOf(text.at(-1) ?? 'A') ^ 1]}`, // a padding bit of the last character set
      mutate(0, 2), // version
      mutate(85, 0), // scope 0
      mutate(85, 4), // unknown scope bit
    ];
    for (const bad of cases) {
      expect(() => decodeRetrievalToken(bad), bad.slice(0, 20))
        .to.throw(RetrievalTokenError)
        .with.property('code', 'TOKEN_MALFORMED');
    }
    await expect(sign({ issuedAt: 10n, expiresAt: 10n })).to.be.rejectedWith(RetrievalTokenError, /expires before/);
    expect(() => columnMask([256])).to.throw(RetrievalTokenError);
  });

  it('covers columns by bit, an empty set meaning every column', () => {
    expect(columnMask([0, 2])).to.equal(5n);
    expect(tokenCoversColumn({ columns: 5n }, 2)).to.equal(true);
    expect(tokenCoversColumn({ columns: 5n }, 1)).to.equal(false);
    expect(tokenCoversColumn({ columns: 0n }, 200)).to.equal(true);
  });

  it('maps scopes to the delegate permissions an issuer needs', () => {
    expect(permissionsForScope(TOKEN_SCOPE.read)).to.equal(PERMISSION.read);
    expect(permissionsForScope(TOKEN_SCOPE.repair)).to.equal(PERMISSION.repair);
    expect(permissionsForScope(TOKEN_SCOPE.read | TOKEN_SCOPE.repair)).to.equal(PERMISSION.read | PERMISSION.repair);
  });
});
