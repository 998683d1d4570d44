import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import hre from 'hardhat';
import type { Browser, Page } from 'playwright-core';
import { chainPeerSource, masterFromPrivateKey, openKeystore } from '../../client';
import { type RunningDaemon, startDaemon } from '../../client/daemon/start-daemon';
import { packageRoot, uiDir } from '../../protocol/package-root';
import { launchBrowser } from '../../scripts/testkit/browser';
import { startTestNetwork, type TestNetwork } from '../../scripts/testkit/network';

/** Polls `check` until it is true, at most `tries` times `everyMs` apart (no timing assertion: only a bound). */
async function until(check: () => Promise<boolean>, what: string, tries = 120, everyMs = 500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('user dashboard in a real browser (dhost ui)', function () {
  this.timeout(300_000);
  let net: TestNetwork;
  let home: string;
  let daemon: RunningDaemon;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const content = randomBytes(3 * 1024 * 1024 + 12_345);
  const name = 'holiday-photos.bin';

  before(async () => {
    if (!fs.existsSync(path.join(uiDir('user'), 'index.html'))) {
      const built = spawnSync('npx', ['vite', 'build', '-c', 'ui/vite.config.mts', '--mode', 'user'], { cwd: packageRoot(), stdio: 'inherit' });
      if (built.status !== 0) throw new Error('vite build of the user dashboard failed');
    }
    net = await startTestNetwork(hre, { peers: 7 });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-ui-'));
    const { key, account } = await net.user();
    const mp = net.marketplaceFor(account);
    daemon = await startDaemon(
      {
        account,
        master: masterFromPrivateKey(key),
        keystore: openKeystore({ home }),
        chainId: net.chainId,
        publicClient: mp.publicClient,
        walletClient: mp.walletClient,
        contracts: { market: mp.market, token: mp.token, registry: mp.registry },
        peers: chainPeerSource({ publicClient: mp.publicClient, registry: mp.registry, market: mp.market }),
        publicEndpointsOnly: false,
        spoolDir: path.join(home, 'spool'),
      },
      { port: 0 },
    );
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));
    // Intercept file choosers from the start: turning it on only when waiting races with the click.
    page.on('filechooser', () => {});
    fs.writeFileSync(path.join(home, name), content);
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await net?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('opens from the printed URL, keeps the token out of the address bar, and shows the account and the peers', async () => {
    expect(daemon.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/#session=[A-Za-z0-9_-]{43}$/);
    await page.goto(daemon.url);
    await until(async () => (await page.textContent('#account-balance'))?.includes('DHOST') ?? false, 'the balance');
    expect(page.url()).not.to.contain('session=');
    await until(async () => (await page.locator('#peers tbody tr').count()) === 7, 'the peers');
    expect(await page.locator('#peers tbody tr').first().textContent()).to.match(/live/);
  });

  it('quotes a file picked with the file input, uploads it once confirmed, and lists it with full health', async () => {
    await page.setInputFiles('#file-input', path.join(home, name));
    const pay = page.getByRole('button', { name: `Pay and upload ${name}` });
    await until(() => pay.isEnabled(), 'the quote');
    expect(await page.locator('.upload .cost').textContent()).to.match(/DHOST for 30 epochs \(rs:4\+2, 6 peers\)/);
    await pay.click();
    await until(async () => (await page.locator('.upload .status').textContent()) === 'stored', 'the upload', 240);
    const row = page.locator('#files tbody tr', { hasText: name });
    await until(async () => {
      if ((await row.count()) === 1 && (await row.locator('.health').textContent())?.startsWith('6/6')) return true;
      await page.getByRole('button', { name: 'Refresh' }).first().click();
      return false;
    }, 'the file listed with 6/6 healthy columns');
    expect(await row.locator('.health').textContent()).to.equal('6/6 healthy');
    expect(await row.textContent())
      .to.contain('rs:4+2')
      .and.contain('epochs left')
      .and.contain('3.01 MiB');
  });

  it('downloads the file through the page, byte for byte', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Download ${name}` }).click()]);
    expect(download.suggestedFilename()).to.equal(name);
    const saved = await download.path();
    expect(Buffer.from(fs.readFileSync(saved)).equals(content)).to.equal(true);
  });

  it('creates a share link with an expiry, which a fresh browser context opens and saves byte for byte', async () => {
    const row = page.locator('#files tbody tr', { hasText: name });
    await row.locator('details.share summary').click();
    await row.locator('details.share select').selectOption(String(7 * 86_400));
    await row.getByRole('button', { name: `Create a share link for ${name}` }).click();
    const link = row.locator('input.share-link');
    await until(async () => (await link.count()) === 1, 'the share link');
    expect(await link.inputValue()).to.match(/^http:\/\/127\.0\.0\.1:\d+\/share\/#dhost%3A%2F%2F/);
    expect(await row.locator('.share-out input').nth(1).inputValue()).to.match(/^dhost:\/\/.+\?t=[A-Za-z0-9_-]+#/);
    expect(await row.locator('.expires').textContent()).to.match(/^Expires /);

    // The recipient: a fresh context (no session, no cookies) opens the web link on a node's share page.
    const recipient = await browser.newContext({ acceptDownloads: true });
    try {
      const other = await recipient.newPage();
      await other.goto(await link.inputValue());
      const save = other.locator('#save');
      await save.waitFor({ state: 'visible', timeout: 60_000 });
      const [download] = await Promise.all([other.waitForEvent('download'), save.click()]);
      expect(download.suggestedFilename()).to.equal(name);
      expect(Buffer.from(fs.readFileSync(await download.path())).equals(content)).to.equal(true);
    } finally {
      await recipient.close();
    }
  });

  it('saves a screenshot of the dashboard with the file listed (docs/user-dashboard.png)', async () => {
    const file = path.join(packageRoot(), 'docs', 'user-dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(fs.statSync(file).size).to.be.greaterThan(10_000);
  });

  it('opens the file picker from the keyboard and quotes several files at once, each waiting for confirmation', async () => {
    for (const n of ['a.txt', 'b.txt']) fs.writeFileSync(path.join(home, n), `${n}\n`.repeat(100));
    await page.focus('#drop-zone');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).to.equal('drop-zone');
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
    expect(chooser.isMultiple()).to.equal(true);
    await chooser.setFiles([path.join(home, 'a.txt'), path.join(home, 'b.txt')]);
    for (const n of ['a.txt', 'b.txt']) await until(() => page.getByRole('button', { name: `Pay and upload ${n}` }).isEnabled(), `the quote of ${n}`);
    expect(await page.getByRole('button', { name: 'Pay and upload all quoted files' }).isVisible()).to.equal(true);
    for (const n of ['a.txt', 'b.txt']) await page.getByRole('button', { name: `Remove ${n}` }).click();
    expect(await page.locator('.upload').count()).to.equal(1);
  });

  it('fits a narrow screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).to.be.at.most(0);
    await page.screenshot({ path: path.join(home, 'narrow.png'), fullPage: true });
  });

  it('raised no page error and no CSP violation', () => {
    expect(problems).to.deep.equal([]);
  });
});
