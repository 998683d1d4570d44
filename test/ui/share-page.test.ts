import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import hre from 'hardhat';
import type { Browser } from 'playwright-core';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  bytesSource,
  chainPeerSource,
  decryptChunk as clientDecrypt,
  createShareLink,
  encryptChunk,
  formatBatchHandle,
  formatHandle,
  formatShareLink,
  formatWebShareLink,
  masterFromPrivateKey,
  upload,
} from '../../client';
import { deriveChunkKey, deriveErasureChunkKey, deriveErasureManifestKey, deriveManifestKey } from '../../client/keys';
import { encryptManifest, type Manifest } from '../../client/manifest';
import { type FileId, slotIdOf as protocolSlotIdOf, randomFileId } from '../../protocol/ids';
import { packageRoot, uiDir } from '../../protocol/package-root';
import { encodeRetrievalToken, signRetrievalToken } from '../../protocol/retrieval-token';
import { launchBrowser } from '../../scripts/testkit/browser';
import { startTestNetwork, type TestNetwork } from '../../scripts/testkit/network';
import { fromBase64, fromBase64Url, toBase64Url } from '../../ui/share/bytes';
import { decryptChunk } from '../../ui/share/cipher';
import { slotIdOf } from '../../ui/share/ids';
import { deriveSubKey } from '../../ui/share/keys';
import { parseShareLink } from '../../ui/share/link';
import { decryptManifest } from '../../ui/share/manifest';
import { joinPieces, openShare } from '../../ui/share/open-share';
import { ShareError } from '../../ui/share/share-error';

const CHUNK = 16 * 1024;
const DAY = 86_400;
const bytesOf = (b: Uint8Array) => new Uint8Array(b) as Uint8Array<ArrayBuffer>;

/** A share link for `handle` (of deal `dealId`), signed by a throwaway key: the browser modules check its shape, not its signature. */
async function offlineLink(handle: string, dealId: FileId, p: { grantee?: `0x${string}` } = {}): Promise<string> {
  const token = await signRetrievalToken(
    { account: privateKeyToAccount(generatePrivateKey()) },
    { chainId: 31337, market: `0x${'42'.repeat(20)}`, dealId, expiresAt: BigInt(Math.floor(Date.now() / 1000) + 3600), grantee: p.grantee },
  );
  return formatShareLink({ handle, tokenText: encodeRetrievalToken(token) });
}

describe('ui/share: the share page', () => {
  describe('its modules mirror the client (run here on Node’s WebCrypto)', () => {
    const fileKey = randomBytes(32);
    const fileId = randomFileId();

    it('encodes and decodes base64url and base64 as Buffer does', () => {
      for (let n = 0; n < 70; n++) {
        const bytes = randomBytes(n);
        expect(toBase64Url(bytes)).to.equal(bytes.toString('base64url'));
        expect(Buffer.from(fromBase64Url(bytes.toString('base64url'))!).equals(bytes)).to.equal(true);
        expect(Buffer.from(fromBase64(bytes.toString('base64'))!).equals(bytes)).to.equal(true);
      }
      expect(fromBase64Url('AB')).to.equal(undefined); // not canonical: low bits set
    });

    it('derives the same sub-keys as client/keys.ts (HKDF-SHA256, salt = file id)', async () => {
      const k = bytesOf(fileKey);
      for (const column of [0, 1, 5, 255]) {
        expect(
          Buffer.from(await deriveSubKey({ fileKey: k, fileId, key: { kind: 'chunk', column } })).equals(deriveChunkKey({ fileKey, fileId, column })),
        ).to.equal(true);
        expect(
          Buffer.from(await deriveSubKey({ fileKey: k, fileId, key: { kind: 'manifest', column } })).equals(deriveManifestKey({ fileKey, fileId, column })),
        ).to.equal(true);
      }
      expect(
        Buffer.from(await deriveSubKey({ fileKey: k, fileId, key: { kind: 'erasure-chunk' } })).equals(deriveErasureChunkKey({ fileKey, fileId })),
      ).to.equal(true);
      expect(
        Buffer.from(await deriveSubKey({ fileKey: k, fileId, key: { kind: 'erasure-manifest' } })).equals(deriveErasureManifestKey({ fileKey, fileId })),
      ).to.equal(true);
    });

    it('computes slot ids as protocol/ids.ts does', () => {
      for (const column of [0, 3, 255]) expect(slotIdOf(fileId, column)).to.equal(protocolSlotIdOf(fileId, column));
    });

    it('decrypts a chunk the client encrypted (nonce = index, associated data = version ‖ file id ‖ index ‖ last); another place fails the tag', async () => {
      const key = deriveChunkKey({ fileKey, fileId, column: 1 });
      const plaintext = randomBytes(4096);
      const shard = encryptChunk({ key, fileId, index: 7, isLast: true, plaintext });
      const got = await decryptChunk({ key: bytesOf(key), fileId, index: 7, isLast: true, shard: bytesOf(shard) });
      expect(Buffer.from(got).equals(plaintext)).to.equal(true);
      expect(Buffer.from(clientDecrypt({ key, fileId, index: 7, isLast: true, shard })).equals(plaintext)).to.equal(true);
      for (const wrong of [
        { index: 6, isLast: true },
        { index: 7, isLast: false },
      ]) {
        await expect(decryptChunk({ key: bytesOf(key), fileId, ...wrong, shard: bytesOf(shard) })).to.be.rejectedWith(ShareError, /authentication tag/);
      }
    });

    it('decrypts both manifest versions the client encrypted; a copy from another column or key fails', async () => {
      const hash = (n: number) => Buffer.alloc(32 * n, 7).toString('base64');
      const common = { fileId, name: 'notes — été.txt', size: 5000, mediaType: 'text/plain', chunkSize: 4096, chunkCount: 2, cipher: 'aes-256-gcm' as const };
      const createdAt = new Date().toISOString();
      const v1: Manifest = {
        version: 1,
        ...common,
        redundancy: { scheme: 'replicate', replicas: 2 },
        lastChunkLength: 904,
        columns: [0, 1].map((column) => ({ column, shardSha256: hash(2) })),
        createdAt,
      };
      const v2: Manifest = {
        version: 2,
        ...common,
        redundancy: { scheme: 'rs', dataShards: 2, parityShards: 1 },
        lastChunkLength: 904,
        shardSize: 4112,
        stripeCount: 1,
        columns: [0, 1, 2].map((column) => ({ column, shardSha256: hash(1) })),
        createdAt,
      };
      const k = bytesOf(fileKey);
      const m1 = await decryptManifest({ fileKey: k, fileId, column: 1, bytes: bytesOf(encryptManifest({ fileKey, column: 1, manifest: v1 })) });
      expect(m1).to.include({ version: 1, name: v1.name, size: 5000, chunkCount: 2, lastChunkLength: 904 });
      expect(m1.hashes[1]).to.have.length(64);
      const m2 = await decryptManifest({ fileKey: k, fileId, column: 2, bytes: bytesOf(encryptManifest({ fileKey, manifest: v2 })) });
      expect(m2).to.include({ version: 2, shardSize: 4112, stripeCount: 1 });
      expect(m2.redundancy).to.deep.equal({ scheme: 'rs', dataShards: 2, parityShards: 1 });
      await expect(
        decryptManifest({ fileKey: k, fileId, column: 0, bytes: bytesOf(encryptManifest({ fileKey, column: 1, manifest: v1 })) }),
      ).to.be.rejectedWith(ShareError, /does not decrypt/);
      await expect(
        decryptManifest({ fileKey: bytesOf(randomBytes(32)), fileId, column: 0, bytes: bytesOf(encryptManifest({ fileKey, manifest: v2 })) }),
      ).to.be.rejectedWith(ShareError, /does not decrypt/);
    });

    it('parses the share links the client formats, alone and in a batch, and refuses a handle without a token', async () => {
      const handle = formatHandle({ fileId, fileKey });
      const single = parseShareLink(await offlineLink(handle, fileId));
      expect(single).to.include({ dealId: fileId, fileId, manifestIndex: 'manifest', firstShard: 0 });
      expect(Buffer.from(single.fileKey).equals(fileKey)).to.equal(true);
      const dealId = randomFileId();
      const batch = parseShareLink(await offlineLink(formatBatchHandle({ dealId, fileId, fileKey, manifestIndex: 9, firstShard: 4 }), dealId));
      expect(batch).to.include({ dealId, fileId, manifestIndex: 9, firstShard: 4 });
      expect(() => parseShareLink(handle)).to.throw(ShareError, /without an access token/);
    });

    it('refuses a grantee-bound link before asking anyone', async () => {
      const link = parseShareLink(await offlineLink(formatHandle({ fileId, fileKey }), fileId, { grantee: privateKeyToAccount(generatePrivateKey()).address }));
      let asked = 0;
      const fetchNothing = (async () => {
        asked += 1;
        throw new Error('no');
      }) as unknown as typeof fetch;
      await expect(openShare({ fetch: fetchNothing, origin: 'http://node.example', allowPrivate: false }, { link })).to.be.rejectedWith(
        ShareError,
        /made for the account/,
      );
      expect(asked).to.equal(0);
    });
  });

  describe('in a fresh browser context, against a real network', function () {
    this.timeout(300_000);
    let net: TestNetwork;
    let browser: Browser;
    let endpoint: string;
    const files: { name: string; bytes: Buffer; link: string; stored: Awaited<ReturnType<typeof upload>> }[] = [];
    let expiredLink: string;

    before(async () => {
      if (!fs.existsSync(path.join(uiDir('share'), 'index.html'))) {
        execFileSync('npx', ['vite', 'build', '-c', 'ui/vite.config.mts', '--mode', 'share'], { cwd: packageRoot(), stdio: 'inherit' });
      }
      net = await startTestNetwork(hre, {
        peers: 7,
        deployParams: { heartbeatTimeout: BigInt(30 * DAY), evictionDelay: BigInt(60 * DAY), challengeProbabilityPpm: 0n },
      });
      const user = await net.user();
      const marketplace = net.marketplaceFor(user.account);
      const peers = chainPeerSource({ publicClient: marketplace.publicClient, registry: marketplace.registry });
      const master = masterFromPrivateKey(user.key);
      const share = (handle: string, now?: () => number) =>
        createShareLink(
          { account: user.account, publicClient: marketplace.publicClient, now },
          { chainId: net.chainId, market: marketplace.market, handle, expiresInSeconds: now ? 60 : 3_600 },
        );
      for (const [name, size, redundancy] of [
        ['stripes.bin', 9 * CHUNK + 5, { scheme: 'rs', dataShards: 4, parityShards: 2 }],
        ['copies — été.txt', 4 * CHUNK + 3, { scheme: 'replicate', replicas: 3 }],
      ] as const) {
        const bytes = randomBytes(size);
        const stored = await upload(
          { account: user.account, chainId: net.chainId, master, peers, marketplace },
          { source: bytesSource(bytes), name, chunkSize: CHUNK, redundancy, pollIntervalMs: 100 },
        );
        files.push({ name, bytes, stored, link: (await share(stored.handle)).link });
      }
      expiredLink = (await share(files[0].stored.handle, () => Date.now() - 3_600_000)).link;
      // The node that serves the page (and the deal's holders); the shards come from the holders.
      endpoint = net.peers[0].node!.url;
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      await net?.close();
    });

    /** Opens the web form of `link` in a fresh context; the requests it made, and the page. */
    const openInBrowser = async (link: string, width = 760) => {
      const context = await browser.newContext({ acceptDownloads: true, viewport: { width, height: 900 } });
      const page = await context.newPage();
      const requested: string[] = [];
      page.on('request', (r) => {
        if (r.resourceType() !== 'document') requested.push(r.url());
      });
      const response = await page.goto(formatWebShareLink({ endpoint, link }));
      // The node serves the page under its own CSP (script from the node, connections to any holder).
      expect(response?.headers()['content-security-policy']).to.contain('connect-src http: https:');
      return { context, page, requested };
    };

    for (const [i, what] of [
      [0, 'an RS(4,2) file, from its data columns'],
      [1, 'a file replicated three times'],
    ] as const) {
      it(`opens a share link to ${what}, checks and decrypts it in the page, and saves it under its name byte for byte`, async () => {
        const file = files[i];
        const { context, page, requested } = await openInBrowser(file.link);
        try {
          const save = page.locator('#save');
          await save.waitFor({ state: 'visible', timeout: 60_000 });
          expect(await page.locator('#file-name').textContent()).to.equal(file.name);
          expect(await save.textContent()).to.contain(file.name);
          expect(await page.locator('#status').textContent()).to.match(/^Ready: /);
          if (i === 0) await page.screenshot({ path: path.join(packageRoot(), 'docs', 'share-page.png'), fullPage: true });
          const [download] = await Promise.all([page.waitForEvent('download'), save.click()]);
          expect(download.suggestedFilename()).to.equal(file.name);
          const saved = fs.readFileSync((await download.path())!);
          expect(saved.equals(file.bytes)).to.equal(true);
          // The key is in the fragment only: no request the page made carries it.
          const key = file.link.slice(file.link.indexOf('#') + 1);
          expect(requested.length).to.be.greaterThan(2);
          for (const url of requested) expect(url).to.not.contain(key);
          expect(requested.some((u) => u.includes(`/deals/${file.stored.fileId}/holders`))).to.equal(true);
          if (i === 0) {
            // Data columns only: no parity shard was read.
            const parity = [4, 5].map((c) => protocolSlotIdOf(file.stored.fileId, c));
            expect(requested.filter((u) => parity.some((s) => u.includes(s)))).to.deep.equal([]);
          }
        } finally {
          await context.close();
        }
      });
    }

    it('shows the node’s reason, TOKEN_EXPIRED, for an expired link (on a phone-sized screen, without sideways scrolling)', async () => {
      const { context, page } = await openInBrowser(expiredLink, 360);
      try {
        await page.locator('#error').waitFor({ state: 'visible', timeout: 60_000 });
        expect(await page.locator('#error-code').textContent()).to.equal('TOKEN_EXPIRED');
        expect(await page.locator('#error-message').textContent()).to.match(/expired/);
        expect(await page.locator('#save').isVisible()).to.equal(false);
        expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).to.be.at.most(360);
      } finally {
        await context.close();
      }
    });

    it('the same modules open both files from Node (fetch), and a data column that is down makes the stripe unreadable, named', async () => {
      const nodeFetch = fetch;
      const opts = { fetch: nodeFetch, origin: endpoint, allowPrivate: true };
      for (const file of files) {
        const opened = await openShare(opts, { link: parseShareLink(file.link) });
        expect(Buffer.from(joinPieces(opened.pieces)).equals(file.bytes)).to.equal(true);
      }
      const rs = files[0];
      const column1 = rs.stored.columns.find((c) => c.column === 1)!;
      const peer = net.peers.find((p) => p.address.toLowerCase() === column1.operator.toLowerCase())!;
      await net.stopPeer(peer.index);
      const served = net.peers.find((p) => p.node)!.node!.url;
      const err = await openShare({ ...opts, origin: served }, { link: parseShareLink(rs.link) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ShareError);
      expect((err as ShareError).code).to.equal('STRIPE_UNAVAILABLE');
      expect((err as ShareError).message).to.match(/^stripe 0 cannot be read here: data column 1 /);
      expect((err as ShareError).details).to.deep.include({ stripe: 0 });
    });
  });
});
