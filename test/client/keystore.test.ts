import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { KeystoreError } from '../../client/errors';
import { KEYSTORE_FILES, openKeystore, type UploadEntry } from '../../client/keystore';

function entry(n: number): UploadEntry {
  return {
    fileId: `0x${n.toString(16).padStart(64, '0')}`,
    name: `file-${n}.txt`,
    size: n * 100,
    chunkCount: n,
    replicas: 3,
    columns: [{ column: 0, slotId: `0x${'11'.repeat(32)}`, operator: `0x${'22'.repeat(20)}`, endpoint: 'http://127.0.0.1:7001' }],
    uploadedAt: new Date(0).toISOString(),
  };
}

describe('keystore', () => {
  let home: string;
  beforeEach(async () => {
    home = path.join(await mkdtemp(path.join(os.tmpdir(), 'dhost-keystore-')), 'home');
  });
  afterEach(async () => {
    await rm(path.dirname(home), { recursive: true, force: true });
  });

  describe('when no account key exists', () => {
    it('creates a random key file readable by its owner only (mode 0600)', async () => {
      const keystore = openKeystore({ home });
      const key = await keystore.loadOrCreateAccountKey();
      expect(key).to.match(/^0x[0-9a-f]{64}$/);
      const info = await stat(path.join(home, KEYSTORE_FILES.accountKey));
      expect(info.mode & 0o777).to.equal(0o600);
      expect((await stat(home)).mode & 0o077).to.equal(0);
    });

    it('gives the same key on every later call and to every later keystore', async () => {
      const first = await openKeystore({ home }).loadOrCreateAccountKey();
      expect(await openKeystore({ home }).loadOrCreateAccountKey()).to.equal(first);
    });

    it('makes different keys in different folders', async () => {
      const a = await openKeystore({ home }).loadOrCreateAccountKey();
      const b = await openKeystore({ home: `${home}-2` }).loadOrCreateAccountKey();
      await rm(`${home}-2`, { recursive: true, force: true });
      expect(a).not.to.equal(b);
    });
  });

  describe('when the key file holds something else', () => {
    it('refuses it with KeystoreError rather than replacing it', async () => {
      await openKeystore({ home }).loadOrCreateAccountKey();
      await writeFile(path.join(home, KEYSTORE_FILES.accountKey), 'not a key\n');
      await expect(openKeystore({ home }).loadOrCreateAccountKey()).to.be.rejectedWith(KeystoreError);
    });
  });

  describe('when uploads are recorded', () => {
    it('lists them oldest first, one JSON line each, without any key', async () => {
      const keystore = openKeystore({ home });
      expect(await keystore.listUploads()).to.deep.equal([]);
      await keystore.recordUpload(entry(1));
      await keystore.recordUpload(entry(2));
      expect(await keystore.listUploads()).to.deep.equal([entry(1), entry(2)]);
      const text = await readFile(path.join(home, KEYSTORE_FILES.uploads), 'utf8');
      expect(text.trim().split('\n')).to.have.length(2);
      expect(text).not.to.match(/dhost:\/\//);
      expect((await stat(path.join(home, KEYSTORE_FILES.uploads))).mode & 0o777).to.equal(0o600);
    });

    it('skips a torn last line, and a later record starts on a fresh line', async () => {
      const keystore = openKeystore({ home });
      await keystore.recordUpload(entry(1));
      await appendFile(path.join(home, KEYSTORE_FILES.uploads), JSON.stringify(entry(2)).slice(0, 40));
      expect(await keystore.listUploads()).to.deep.equal([entry(1)]);
      await keystore.recordUpload(entry(3));
      expect(await keystore.listUploads()).to.deep.equal([entry(1), entry(3)]);
    });
  });
});
