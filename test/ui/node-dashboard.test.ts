import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mine, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import type { Browser, Page } from 'playwright-core';
import type { Address, Hex } from 'viem';
import { chainPeerSource, fileSource, masterFromPrivateKey, upload } from '../../client';
import { connectChain } from '../../protocol/chain/connect';
import { marketAbi } from '../../protocol/chain/market';
import { packageRoot, uiDir } from '../../protocol/package-root';
import { launchBrowser } from '../../scripts/testkit/browser';
import { startTestNetwork, type TestNetwork, type TestPeer } from '../../scripts/testkit/network';
import { eventually } from '../../scripts/testkit/node/market-chain';
import { formatBytes, formatCount, formatTokens } from '../../ui/node/format';

const API_KEY = 'dashboard test operator key';
const CHUNK = 64 * 1024;
/** Epochs moved forward at most before the holder has a proven, settled epoch to claim. */
const MAX_STEPS = 6;
const SCREENSHOT = path.join(packageRoot(), 'docs', 'node-dashboard.png');

type Ledger = { bytesHeld: bigint; epochsProven: bigint; proofsMissed: bigint; earned: bigint; subsidy: bigint };

describe('node dashboard in a real browser', function () {
  this.timeout(180_000);
  let net: TestNetwork;
  let work: string;
  let browser: Browser;
  let marketplace: ReturnType<TestNetwork['marketplaceFor']>;
  let epochLength: bigint;

  const read = <T>(functionName: string, args: readonly unknown[] = []) =>
    marketplace.publicClient.readContract({ address: marketplace.market, abi: marketAbi, functionName, args } as never) as Promise<T>;
  const ledger = (peer: Address) => read<Ledger>('ledger', [peer]);
  /** The figure the page shows under `data-figure`, raw (`data-value`) and as text. */
  const figure = async (page: Page, name: string) => {
    const node = page.locator(`[data-figure="${name}"]`);
    return { value: (await node.getAttribute('data-value')) ?? '', text: (await node.textContent()) ?? '' };
  };
  /** The node's own index usage, as its operator route reports it. */
  const indexUsage = async (peer: TestPeer) => {
    const res = await fetch(`${peer.node?.url}/operator/status`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).to.equal(200);
    return (await res.json()) as { usedBytes: number; shards: number; slots: number };
  };

  /** Moves the chain into the next epoch once its seed block is fixed, and waits until the holder proved its slot if challenged. */
  const step = async (slotId: Hex): Promise<bigint> => {
    const before = await read<bigint>('currentEpoch');
    await eventually('the next seed block is fixed', async () => ((await read<bigint>('seedBlockOf', [before + 1n])) !== 0n ? true : undefined));
    await time.increase(Number(epochLength));
    await mine(1);
    const epoch = await read<bigint>('currentEpoch');
    await eventually(`the holder acted in epoch ${epoch}`, async () => {
      if ((await read<Hex>('seedOf', [epoch])) === `0x${'0'.repeat(64)}`) return undefined;
      const [challenged] = await read<readonly [boolean, bigint]>('challengeOf', [slotId, epoch]);
      if (challenged && !(await read<boolean>('isProven', [slotId, epoch]))) return undefined;
      return true;
    });
    return epoch;
  };

  before(async () => {
    if (!fs.existsSync(path.join(uiDir('node'), 'index.html'))) {
      const built = spawnSync('npx', ['vite', 'build', '-c', 'ui/vite.config.mts', '--mode', 'node'], { cwd: packageRoot(), stdio: 'inherit' });
      if (built.status !== 0) throw new Error(`vite build failed with status ${built.status}`);
    }
    net = await startTestNetwork(hre, {
      peers: 4,
      apiKey: API_KEY,
      deployParams: {
        // Short epochs (the test moves chain time), every filled slot challenged every epoch, heartbeats good for a day of chain time.
        epochLength: 300n,
        challengeProbabilityPpm: 1_000_000n,
        missingWindowEpochs: 2n,
        heartbeatTimeout: 86_400n,
      },
    });
    marketplace = net.marketplaceFor((await net.user()).account);
    epochLength = (await read<{ epochLength: bigint }>('config')).epochLength;
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-dashboard-'));
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await net?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('shows a proof and a claimed reward, with the figures of the chain and of the node’s index', async () => {
    const user = await net.user();
    const { publicClient } = await connectChain({ rpcUrl: net.rpcUrl });
    const file = path.join(work, 'file.bin');
    fs.writeFileSync(file, randomBytes(2 * CHUNK + 123));
    const result = await upload(
      {
        account: user.account,
        chainId: net.chainId,
        master: masterFromPrivateKey(user.key),
        peers: chainPeerSource({ publicClient, registry: net.deployment.contracts.PeerRegistry }),
        marketplace,
      },
      { source: await fileSource(file), name: 'file.bin', chunkSize: CHUNK, replicas: 2, epochs: 16 },
    );
    const column = result.columns[0];
    const holder = net.peers.find((p) => p.address.toLowerCase() === column.operator.toLowerCase());
    if (!holder?.node) throw new Error('no running test peer holds column 0');
    const slotId = column.slotId as Hex;

    // Step until the holder has a proof accepted in an epoch that is now past (so claim can pay it).
    let provenIn: bigint | undefined;
    for (let i = 0; i < MAX_STEPS; i++) {
      const epoch = await step(slotId);
      if (provenIn !== undefined && epoch > provenIn) break;
      if (provenIn === undefined && (await read<boolean>('isProven', [slotId, epoch]))) provenIn = epoch;
    }
    expect(provenIn !== undefined).to.equal(true, 'an epoch proven by the holder');
    const proven = await ledger(holder.address);
    expect(proven.epochsProven >= 1n).to.equal(true);

    // The operator opens the dashboard and gives the API key, by keyboard.
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(`${holder.node.url}/dashboard/`);
    const keyInput = page.getByLabel('API key of this node');
    await keyInput.fill(API_KEY);
    await keyInput.press('Enter');
    await page.getByRole('heading', { name: /Proofs and stake/ }).waitFor();

    // The proof appears, and the figures equal the chain's ledger and the node's index.
    await eventually(
      'the page shows the proofs the chain accepted',
      async () => {
        const shown = await figure(page, 'proofs-submitted');
        return shown.value === String((await ledger(holder.address)).epochsProven) ? true : undefined;
      },
      { everyMs: 500, attempts: 60 },
    );
    const onChain = await ledger(holder.address);
    const proofs = await figure(page, 'proofs-submitted');
    expect(proofs.value).to.equal(String(onChain.epochsProven));
    expect(proofs.text).to.equal(formatCount(String(onChain.epochsProven)));
    expect((await figure(page, 'proofs-missed')).value).to.equal(String(onChain.proofsMissed));
    expect((await figure(page, 'bytes-held')).value).to.equal(String(onChain.bytesHeld));
    const usage = await indexUsage(holder);
    const used = await figure(page, 'used-bytes');
    expect(used.value).to.equal(String(usage.usedBytes));
    expect(used.text).to.equal(formatBytes(usage.usedBytes));
    expect(usage.usedBytes > 0).to.equal(true);
    expect((await figure(page, 'index-shards')).value).to.equal(String(usage.shards));
    expect((await figure(page, 'index-slots')).value).to.equal(String(usage.slots));
    await page.locator('tr[data-event="ProofSubmitted"]').first().waitFor();
    await page.locator('tr[data-event="SlotFilled"]').first().waitFor();
    // The chart's text alternative ends with the same usage.
    expect(await page.locator('#chart-summary').textContent()).to.include(`${formatBytes(usage.usedBytes)} at`);
    expect(await page.getByRole('img', { name: 'Capacity used over the last 24 hours' }).count()).to.equal(1);

    // Claim: the button disables while claiming, then the claimed amount shows and equals the chain's.
    const earnedBefore = onChain.earned;
    const claimButton = page.getByRole('button', { name: 'Claim rewards' });
    // Record (in the page) that the button was disabled at some point while the claim ran.
    await page.evaluate(
      "window.claimDisabled = false; const b = document.getElementById('claim'); new MutationObserver(() => { if (b.disabled) window.claimDisabled = true; }).observe(b, { attributes: true });",
    );
    await claimButton.click();
    const result$ = page.locator('#claim-result');
    const total = await eventually(
      'the claim result shows',
      async () => {
        const value = await result$.getAttribute('data-total');
        return value ?? undefined;
      },
      { everyMs: 250, attempts: 240 },
    );
    await eventually('the claim button is enabled again', async () => ((await claimButton.isEnabled()) ? true : undefined), { everyMs: 100, attempts: 200 });
    expect(await page.evaluate<boolean>('window.claimDisabled')).to.equal(true, 'the claim button was disabled while claiming');
    const afterClaim = await ledger(holder.address);
    expect(BigInt(total) > 0n).to.equal(true, 'a reward was claimed');
    expect(afterClaim.earned - earnedBefore).to.equal(BigInt(total));
    expect(await result$.textContent()).to.include(`Claimed ${formatTokens(total)} tokens`);
    await eventually(
      'the page shows the chain’s earned rewards',
      async () => ((await figure(page, 'rewards-earned')).value === String((await ledger(holder.address)).earned) ? true : undefined),
      { everyMs: 500, attempts: 60 },
    );
    const earned = await figure(page, 'rewards-earned');
    expect(earned.value).to.equal(String((await ledger(holder.address)).earned));
    expect(earned.text).to.equal(`${formatTokens(earned.value)} tokens`);
    await page.locator('tr[data-event="Claimed"]').first().waitFor();

    // Usable on a narrow screen: nothing wider than 360 px.
    await page.setViewportSize({ width: 360, height: 800 });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).to.be.at.most(360);
    await page.setViewportSize({ width: 1200, height: 900 });
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).to.deep.equal([]);
    await page.close();
  });
});
