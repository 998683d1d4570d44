import Database from 'better-sqlite3';
import { expect } from 'chai';
import { createNonceStore } from '../../../node/store/nonce-store';

describe('createNonceStore', () => {
  const signer = '0x00000000000000000000000000000000000000aa' as const;
  const nonce = '0x000102030405060708090a0b0c0d0e0f' as const;

  describe('when a nonce is new', () => {
    it('remembers it once and refuses it the second time, whatever its case', () => {
      const nonces = createNonceStore({ db: new Database(':memory:') });
      expect(nonces.remember({ signer, nonce, expiresAt: 100 })).to.equal(true);
      expect(nonces.remember({ signer: signer.toUpperCase().replace('0X', '0x') as typeof signer, nonce, expiresAt: 100 })).to.equal(false);
    });

    it('keeps nonces of different signers apart', () => {
      const nonces = createNonceStore({ db: new Database(':memory:') });
      expect(nonces.remember({ signer, nonce, expiresAt: 100 })).to.equal(true);
      expect(nonces.remember({ signer: '0x00000000000000000000000000000000000000bb', nonce, expiresAt: 100 })).to.equal(true);
    });
  });

  describe('when nonces expire', () => {
    it('prunes only the expired ones', () => {
      const nonces = createNonceStore({ db: new Database(':memory:') });
      nonces.remember({ signer, nonce, expiresAt: 100 });
      nonces.remember({ signer, nonce: '0x0f0e0d0c0b0a09080706050403020100', expiresAt: 200 });
      expect(nonces.prune(150)).to.equal(1);
      expect(nonces.count()).to.equal(1);
    });
  });
});
