import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setBalance, time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { erc20Abi, zeroAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { main } from '../../cli/main';
import { ensureRegistered } from '../../node/chain/ensure-registered';
import { connectNodeChain } from '../../node/chain/node-chain';
import { sendHeartbeat } from '../../node/chain/send-heartbeat';
import { peerRegistryAbi } from '../../protocol/chain/generated/abis';
import { captureStream } from '../../scripts/testkit/capture';
import { hardhatKey } from '../../scripts/testkit/chain';
import { fundOwners, type MarketChain, startMarketChain } from '../../scripts/testkit/node/market-chain';

describe('dhost node exit and withdraw', () => {
  const UNBONDING = 3600;
  const operatorKey = hardhatKey(14);
  const operator = privateKeyToAccount(operatorKey).address;
  const stake = 1_500n * 10n ** 18n;
  let chain: MarketChain;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const run = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const stdout = captureStream();
    const stderr = captureStream();
    const code = await main(args, { stdout: stdout.stream, stderr: stderr.stream, env: { ...env, ...extraEnv }, signal: new AbortController().signal });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  };
  const peer = () =>
    chain.publicClient.readContract({ address: chain.deployment.contracts.PeerRegistry, abi: peerRegistryAbi, functionName: 'peer', args: [operator] });
  const balance = () =>
    chain.publicClient.readContract({ address: chain.deployment.contracts.RewardToken, abi: erc20Abi, functionName: 'balanceOf', args: [operator] });

  before(async () => {
    chain = await startMarketChain(hre, { unbondingDelay: BigInt(UNBONDING) });
    await fundOwners(chain, [operatorKey], 5_000n * 10n ** 18n);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-node-exit-'));
    const deploymentFile = path.join(dir, 'deployment.json');
    fs.writeFileSync(deploymentFile, JSON.stringify(chain.deployment));
    env = { DHOST_RPC_URL: chain.rpcUrl, DHOST_DEPLOYMENT: deploymentFile, DHOST_HOME: path.join(dir, 'home'), DHOST_PRIVATE_KEY: operatorKey };
  });
  after(async () => {
    await chain.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('when the operator is not registered', () => {
    it('node exit exits 2 saying so', async () => {
      const res = await run(['node', 'exit']);
      expect(res.code).to.equal(2);
      expect(res.stderr).to.contain(`${operator} is not registered`);
    });
  });

  describe('when the operator is registered', () => {
    before(async () => {
      const nodeChain = await connectNodeChain({ rpcUrl: chain.rpcUrl, privateKey: operatorKey, deployment: chain.deployment });
      await ensureRegistered(nodeChain, {
        registry: chain.deployment.contracts.PeerRegistry,
        token: chain.deployment.contracts.RewardToken,
        endpoint: 'https://node.example.org',
        capacity: 1n << 30n,
        pricePerGiBEpoch: 10n ** 15n,
        stake,
      });
    });

    it('node withdraw before an exit fails naming PeerNotExiting and what to do', async () => {
      const res = await run(['node', 'withdraw']);
      expect(res.code).to.equal(1);
      expect(res.stderr).to.contain('run `dhost node exit` first');
      expect(res.stderr).to.contain('CONTRACT_REVERTED');
    });

    it('node exit while slots are held begins the exit and warns that they must be served to the end; heartbeats go on', async () => {
      // Stand in for the market: lock part of the stake, as a fill does.
      const market = chain.deployment.contracts.Marketplace;
      await setBalance(market, 10n ** 18n);
      const registry = await hre.ethers.getContractAt('PeerRegistry', chain.deployment.contracts.PeerRegistry, await hre.ethers.getImpersonatedSigner(market));
      await (await registry.lockStake(operator, 10n ** 18n)).wait();
      const res = await run(['node', 'exit']);
      expect(res.code, res.stderr).to.equal(0);
      expect(res.stdout).to.contain('has begun to exit');
      expect(res.stderr).to.contain('warning: ');
      expect(res.stderr).to.contain('still holds slots (1000000000000000000 wei of stake locked as collateral)');
      expect(res.stderr).to.contain('keep the node running until their deals end');
      const record = await peer();
      expect(record.exitRequestedAt).to.not.equal(0n);
      // The exiting operator still heartbeats (so its slots cannot be freed as lapsed).
      const nodeChain = await connectNodeChain({ rpcUrl: chain.rpcUrl, privateKey: operatorKey, deployment: chain.deployment });
      await sendHeartbeat(nodeChain, { registry: chain.deployment.contracts.PeerRegistry });
      expect((await peer()).lastHeartbeat).to.be.greaterThan(record.lastHeartbeat);
      // Again, as JSON: the exit in progress and the same warning.
      const again = await run(['node', 'exit', '--json']);
      expect(again.code, again.stderr).to.equal(0);
      const out = JSON.parse(again.stdout) as { alreadyExiting: boolean; lockedStake: string; warning?: string };
      expect(out).to.deep.include({ alreadyExiting: true, lockedStake: String(10n ** 18n) });
      expect(out.warning).to.contain('still holds slots');
      // Its deals end: the market unlocks the collateral.
      await (await registry.unlockStake(operator, 10n ** 18n)).wait();
    });

    it('node exit again, with nothing locked, reports the exit in progress without a warning and names when the stake is withdrawable', async () => {
      const res = await run(['node', 'exit', '--json']);
      expect(res.code, res.stderr).to.equal(0);
      const out = JSON.parse(res.stdout) as {
        address: string;
        alreadyExiting: boolean;
        exitRequestedAt: string;
        withdrawableAt: string;
        stake: string;
        warning?: string;
      };
      const record = await peer();
      expect(out).to.deep.include({ address: operator, alreadyExiting: true, stake: String(stake), lockedStake: '0' });
      expect(out.warning).to.equal(undefined);
      expect(Date.parse(out.withdrawableAt) - Date.parse(out.exitRequestedAt)).to.equal(UNBONDING * 1000);
      expect(Date.parse(out.exitRequestedAt)).to.equal(Number(record.exitRequestedAt) * 1000);
      expect(
        await chain.publicClient.readContract({
          address: chain.deployment.contracts.PeerRegistry,
          abi: peerRegistryAbi,
          functionName: 'isActive',
          args: [operator],
        }),
      ).to.equal(false);
    });

    it('node exit again only reports the exit in progress', async () => {
      const res = await run(['node', 'exit']);
      expect(res.code, res.stderr).to.equal(0);
      expect(res.stdout).to.contain('was already exiting');
    });

    it('node withdraw during the unbonding delay fails naming when it becomes possible', async () => {
      const record = await peer();
      const withdrawableAt = new Date(Number(record.exitRequestedAt + BigInt(UNBONDING)) * 1000).toISOString();
      const res = await run(['node', 'withdraw', '--json']);
      expect(res.code).to.equal(1);
      expect(res.stderr).to.contain(`the stake can be withdrawn from ${withdrawableAt}`);
      expect(res.stderr).to.contain('UnbondingNotOver');
      const error = JSON.parse(res.stdout).error as { code: string; details: { withdrawableAt: string; error: string } };
      expect(error).to.deep.include({ code: 'CONTRACT_REVERTED' });
      expect(error.details).to.deep.include({ withdrawableAt, error: 'UnbondingNotOver' });
      expect((await peer()).stake).to.equal(stake);
    });

    it('node withdraw after the unbonding delay pays the stake back and deletes the record', async () => {
      await time.increase(UNBONDING);
      const before = await balance();
      const res = await run(['node', 'withdraw', '--json']);
      expect(res.code, res.stderr).to.equal(0);
      expect(JSON.parse(res.stdout)).to.deep.equal({ address: operator, withdrawn: String(stake) });
      expect((await balance()) - before).to.equal(stake);
      expect((await peer()).operator).to.equal(zeroAddress);
    });
  });

  describe('when a node runs from a config file', () => {
    it('starts with the file’s settings, reports its status and keeps serving after `node exit`, all with --config', async () => {
      const key = hardhatKey(15);
      const address = privateKeyToAccount(key).address;
      await fundOwners(chain, [key], 5_000n * 10n ** 18n);
      const keyFile = path.join(dir, 'n2.key');
      fs.writeFileSync(keyFile, key, { mode: 0o600 });
      fs.chmodSync(keyFile, 0o600);
      const config = path.join(dir, 'n2.json');
      fs.writeFileSync(
        config,
        JSON.stringify({ port: 0, dataDir: 'n2-data', capacity: '64MiB', stake: '1200', endpoint: 'https://n2.example.org', privateKeyFile: 'n2.key' }),
      );
      const stdout = captureStream();
      const stderr = captureStream();
      const controller = new AbortController();
      const running = main(['node', '--config', config], {
        stdout: stdout.stream,
        stderr: stderr.stream,
        env: { ...env, DHOST_PRIVATE_KEY: '' },
        signal: controller.signal,
      });
      try {
        let ready: { url: string; address: string } | undefined;
        for (let i = 0; i < 200 && !ready; i++) {
          const line = stdout
            .text()
            .split('\n')
            .find((l) => l.startsWith('{"ready":true'));
          if (line) ready = JSON.parse(line) as { url: string; address: string };
          else await new Promise((r) => setTimeout(r, 50));
        }
        if (!ready) throw new Error(`the node did not start: ${stderr.text()}`);
        expect(ready.address).to.equal(address);
        expect(fs.existsSync(path.join(dir, 'n2-data'))).to.equal(true);
        const record = await chain.publicClient.readContract({
          address: chain.deployment.contracts.PeerRegistry,
          abi: peerRegistryAbi,
          functionName: 'peer',
          args: [address],
        });
        expect(record).to.deep.include({ endpoint: 'https://n2.example.org', capacity: 64n << 20n, stake: 1_200n * 10n ** 18n });

        const status = await run(['node', 'status', '--config', config, '--json'], { DHOST_PRIVATE_KEY: '' });
        expect(status.code, status.stderr).to.equal(0);
        expect(JSON.parse(status.stdout)).to.deep.include({ address, stake: String(1_200n * 10n ** 18n) });

        const exit = await run(['node', 'exit', '--config', config], { DHOST_PRIVATE_KEY: '' });
        expect(exit.code, exit.stderr).to.equal(0);
        expect(exit.stdout).to.contain('has begun to exit');
        expect((await fetch(`${ready.url}/health`)).status).to.equal(200);
      } finally {
        controller.abort();
        expect(await running).to.equal(0);
      }
    });
  });

  describe('when the deployment does not match the chain', () => {
    it('dhost node refuses a deployment whose contracts have no code at the RPC (DEPLOYMENT_MISSING)', async () => {
      const other = path.join(dir, 'other-network.json');
      const contracts = { ...chain.deployment.contracts, PeerRegistry: '0x000000000000000000000000000000000000dEaD' };
      fs.writeFileSync(other, JSON.stringify({ ...chain.deployment, contracts }));
      const res = await run(['node', '--port', '0', '--data', path.join(dir, 'never')], { DHOST_DEPLOYMENT: other });
      expect(res.code).to.equal(1);
      expect(res.stderr).to.contain('no PeerRegistry contract at 0x000000000000000000000000000000000000dEaD');
      expect(res.stderr).to.contain('DEPLOYMENT_MISSING');
    });

    it('dhost node refuses a deployment made for another chain id (CHAIN_MISMATCH)', async () => {
      const other = path.join(dir, 'other-chain.json');
      fs.writeFileSync(other, JSON.stringify({ ...chain.deployment, chainId: 11155111 }));
      const res = await run(['node', '--port', '0', '--data', path.join(dir, 'never')], { DHOST_DEPLOYMENT: other });
      expect(res.code).to.equal(1);
      expect(res.stderr).to.contain('CHAIN_MISMATCH');
      expect(res.stderr).to.contain('11155111');
    });
  });

  describe('when the key comes from the config file', () => {
    it('reads privateKeyFile and refuses one readable by others', async () => {
      const keyFile = path.join(dir, 'op.key');
      fs.writeFileSync(keyFile, operatorKey, { mode: 0o644 });
      fs.chmodSync(keyFile, 0o644);
      const config = path.join(dir, 'node.json');
      fs.writeFileSync(config, JSON.stringify({ privateKeyFile: 'op.key' }));
      const loose = await run(['node', 'withdraw', '--config', config], { DHOST_PRIVATE_KEY: '' });
      expect(loose.code).to.equal(2);
      expect(loose.stderr).to.contain('readable by others');
      fs.chmodSync(keyFile, 0o600);
      const res = await run(['node', 'withdraw', '--config', config], { DHOST_PRIVATE_KEY: '' });
      // The operator has withdrawn already: the key was read and the registry answered for it.
      expect(res.code).to.equal(1);
      expect(res.stderr).to.contain(`${operator} is not registered`);
    });
  });
});
