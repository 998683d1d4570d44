import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import hre from 'hardhat';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { fundAccounts } from '../../cli/devnet/fund';
import { main } from '../../cli/main';
import { startNode } from '../../node';
import { connectChain } from '../../protocol/chain/connect';
import { captureStream } from '../../scripts/testkit/capture';
import { hardhatKey } from '../../scripts/testkit/chain';
import { startTestNetwork, type TestNetwork } from '../../scripts/testkit/network';
import { startRpcRecorder } from '../../scripts/testkit/rpc-recorder';

describe('the dhost command', () => {
  let net: TestNetwork;
  let work: string;
  let env: NodeJS.ProcessEnv;

  const run = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const stdout = captureStream();
    const stderr = captureStream();
    const code = await main(args, { stdout: stdout.stream, stderr: stderr.stream, env: { ...env, ...extraEnv }, signal: new AbortController().signal });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  };

  before(async () => {
    net = await startTestNetwork(hre, { peers: 3 });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-cli-'));
    const user = await net.user();
    env = { DHOST_RPC_URL: net.rpcUrl, DHOST_DEPLOYMENT: net.deploymentFile, DHOST_HOME: path.join(work, 'home'), DHOST_PRIVATE_KEY: user.key };
  });

  after(async () => {
    await net.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  describe('upload, download, ls and peers', () => {
    it('uploads a file, prints its handle last, and downloads an identical copy', async () => {
      const input = path.join(work, 'notes.txt');
      const bytes = randomBytes(300_000);
      fs.writeFileSync(input, bytes);
      const up = await run(['upload', input]);
      expect(up.code, up.stderr).to.equal(0);
      const handle = up.stdout.trim().split('\n').pop() ?? '';
      expect(handle).to.match(/^dhost:\/\/[0-9a-f]{64}#[A-Za-z0-9_-]+$/);
      const out = path.join(work, 'copy.txt');
      const down = await run(['download', handle, '-o', out]);
      expect(down.code, down.stderr).to.equal(0);
      expect(Buffer.compare(fs.readFileSync(out), bytes)).to.equal(0);

      const ls = await run(['ls', '--json']);
      expect(ls.code).to.equal(0);
      const listed = JSON.parse(ls.stdout) as { name: string; handle: string; size: number }[];
      expect(listed.map((u) => [u.name, u.handle, u.size])).to.deep.include(['notes.txt', handle, 300_000]);
    });

    it('uploads with --json and a chosen replica count', async () => {
      const input = path.join(work, 'two.bin');
      fs.writeFileSync(input, randomBytes(1000));
      const up = await run(['upload', input, '--replicas', '2', '--json']);
      expect(up.code, up.stderr).to.equal(0);
      const result = JSON.parse(up.stdout) as { columns: unknown[]; size: number; handle: string };
      expect(result.columns).to.have.length(2);
      expect(result.size).to.equal(1000);
    });

    it('reports a file’s redundancy health with status --json, and a stopped holder lowers it', async () => {
      const input = path.join(work, 'health.bin');
      fs.writeFileSync(input, randomBytes(70_000));
      const up = await run(['upload', input, '--chunk-size', '16KiB', '--json']);
      expect(up.code, up.stderr).to.equal(0);
      const { handle, columns } = JSON.parse(up.stdout) as { handle: string; columns: { column: number; operator: string }[] };
      type Health = { columns: number; dataColumns: number; stripes: number; minHealthy: number; perColumn: { column: number; state: string }[] };
      const healthy = await run(['status', handle, '--json']);
      expect(healthy.code, healthy.stderr).to.equal(0);
      const before = JSON.parse(healthy.stdout) as Health;
      expect(before).to.deep.include({ columns: columns.length, dataColumns: 1, stripes: 5, minHealthy: columns.length });
      expect(before.perColumn.every((c) => c.state === 'healthy')).to.equal(true);

      const holder = net.peers.find((p) => p.address.toLowerCase() === columns[0].operator.toLowerCase());
      if (!holder) throw new Error('no holder of column 0');
      await net.stopPeer(holder.index);
      try {
        const degraded = await run(['status', handle, '--json']);
        expect(degraded.code, degraded.stderr).to.equal(0);
        const after = JSON.parse(degraded.stdout) as Health;
        expect(after.minHealthy).to.equal(columns.length - 1);
        expect(after.perColumn.find((c) => c.column === 0)?.state).to.equal('unreachable');
        const text = await run(['status', handle]);
        expect(text.stdout).to.match(new RegExp(`health +${columns.length - 1} of ${columns.length} columns intact`));
      } finally {
        await net.restartPeer(holder.index);
      }
    });

    it('uploads several files as one batch (one deal), lists each with its own handle, and reads each back and its health', async () => {
      const dir = path.join(work, 'batch');
      fs.mkdirSync(dir, { recursive: true });
      const contents = [randomBytes(1), randomBytes(40_000)];
      const inputs = contents.map((bytes, i) => {
        const file = path.join(dir, `b${i}.bin`);
        fs.writeFileSync(file, bytes);
        return file;
      });
      const up = await run(['upload', ...inputs, '--json']);
      expect(up.code, up.stderr).to.equal(0);
      const batch = JSON.parse(up.stdout) as { dealId: string; files: { fileId: string; name: string; handle: string }[] };
      expect(batch.files).to.have.length(2);
      expect(batch.files.map((f) => f.fileId)).not.to.include(batch.dealId);

      const ls = await run(['ls', '--json']);
      expect(ls.code, ls.stderr).to.equal(0);
      const listed = JSON.parse(ls.stdout) as { fileId: string; handle: string; deal: unknown }[];
      for (const f of batch.files) {
        const row = listed.find((r) => r.fileId === f.fileId);
        expect(row?.handle, `ls handle of ${f.name}`).to.equal(f.handle);
        expect(row?.deal, `deal of ${f.name}`).not.to.equal(null);
      }
      expect(listed.some((r) => r.fileId === batch.dealId)).to.equal(false);

      for (const [i, f] of batch.files.entries()) {
        const out = path.join(work, `batch-copy-${i}`);
        const down = await run(['download', f.handle, '-o', out]);
        expect(down.code, down.stderr).to.equal(0);
        expect(Buffer.compare(fs.readFileSync(out), contents[i])).to.equal(0);
        const status = await run(['status', f.handle, '--json']);
        expect(status.code, status.stderr).to.equal(0);
        const health = JSON.parse(status.stdout) as { dealId: string; columns: number; minHealthy: number; stripes: number };
        expect(health.dealId).to.equal(batch.dealId);
        expect(health.minHealthy).to.equal(health.columns);
        expect(health.stripes).to.be.greaterThan(0);
      }
    });

    it('shares a file with a link another user downloads without a key of their own; revoke makes the nodes refuse it', async () => {
      const input = path.join(work, 'shared.txt');
      const bytes = randomBytes(70_000);
      fs.writeFileSync(input, bytes);
      const up = await run(['upload', input]);
      expect(up.code, up.stderr).to.equal(0);
      const handle = up.stdout.trim().split('\n').pop() ?? '';
      const shared = await run(['share', handle, '--expires', '2h', '--json']);
      expect(shared.code, shared.stderr).to.equal(0);
      const { link, expiresAt, grantee } = JSON.parse(shared.stdout) as { link: string; expiresAt: string; grantee: string };
      expect(link.split('#')[1]).to.equal(handle.split('#')[1]);
      expect(Date.parse(expiresAt) - Date.now()).to.be.within(7_100_000, 7_200_000);
      expect(grantee).to.equal('0x0000000000000000000000000000000000000000');

      // The recipient: another home, no DHOST_PRIVATE_KEY, no key made for them.
      const recipient = { DHOST_HOME: path.join(work, 'recipient'), DHOST_PRIVATE_KEY: undefined };
      const out = path.join(work, 'shared.copy');
      const down = await run(['download', link, '-o', out], recipient);
      expect(down.code, down.stderr).to.equal(0);
      expect(Buffer.compare(fs.readFileSync(out), bytes)).to.equal(0);
      expect(fs.existsSync(path.join(work, 'recipient'))).to.equal(false);
      // The bare handle is not enough for someone who is neither the owner nor a delegate.
      const stranger = { DHOST_PRIVATE_KEY: generatePrivateKey() };
      const refused = await run(['download', handle, '-o', path.join(work, 'stranger.out')], stranger);
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.contain('NO_READ_ACCESS');

      const revoked = await run(['revoke', link]);
      expect(revoked.code, revoked.stderr).to.equal(0);
      const again = path.join(work, 'shared.again');
      let after = await run(['download', link, '-o', again], recipient);
      // Nodes cache chain reads for a few seconds.
      for (let i = 0; i < 20 && after.code === 0; i++) {
        await new Promise((r) => setTimeout(r, 300));
        after = await run(['download', link, '-o', again], recipient);
      }
      expect(after.code).to.equal(1);
      expect(after.stderr).to.contain('TOKEN_REVOKED');
    });

    it('names a repair delegate and withdraws it (delegate --repair / --none)', async () => {
      const delegate = privateKeyToAccount(generatePrivateKey()).address;
      const set = await run(['delegate', delegate, '--read', '--repair', '--json']);
      expect(set.code, set.stderr).to.equal(0);
      expect(JSON.parse(set.stdout)).to.include({ delegate, permissions: 3 });
      const none = await run(['delegate', delegate, '--none']);
      expect(none.code, none.stderr).to.equal(0);
      expect((await run(['delegate', delegate])).code).to.equal(2);
      expect((await run(['share', 'dhost://nothex#key'])).code).to.be.oneOf([1, 2]);
      expect((await run(['share', `dhost://${'ab'.repeat(32)}#${'A'.repeat(43)}`, '--expires', 'soon'])).code).to.equal(2);
    });

    it('lists the active peers with live status', async () => {
      const res = await run(['peers', '--json']);
      expect(res.code, res.stderr).to.equal(0);
      const peers = JSON.parse(res.stdout) as { operator: string; live: boolean }[];
      expect(peers.map((p) => p.operator.toLowerCase()).sort()).to.deep.equal(net.peers.map((p) => p.address.toLowerCase()).sort());
      expect(peers.every((p) => p.live)).to.equal(true);
      const withRecord = peers as unknown as { reputation: { epochsProven: number; proofsMissed: number } }[];
      expect(withRecord.every((p) => Number.isInteger(p.reputation.epochsProven) && Number.isInteger(p.reputation.proofsMissed))).to.equal(true);
    });

    it("prints a node's standing from the chain with node status --json", async () => {
      const peer = net.peers[0];
      const res = await run(['node', 'status', '--json', '--address', peer.address]);
      expect(res.code, res.stderr).to.equal(0);
      const status = JSON.parse(res.stdout) as Record<string, unknown>;
      expect(status).to.include.keys('stake', 'slots', 'proofsSubmitted', 'proofsMissed', 'rewardsAccrued', 'rewardsClaimed');
      expect(status.address).to.equal(peer.address);
      expect(BigInt(status.stake as string) > 0n).to.equal(true);
    });

    it('shows what the running node says of itself with node details --json, signed with the operator key', async () => {
      const peer = net.peers[0];
      const res = await run(['node', 'details', '--json'], { DHOST_PRIVATE_KEY: peer.key });
      expect(res.code, res.stderr).to.equal(0);
      const details = JSON.parse(res.stdout) as Record<string, unknown>;
      expect(details.address).to.equal(peer.address);
      expect(details).to.include.keys('usedBytes', 'capacityBytes', 'dataDir', 'slotsByState', 'noncesRemembered', 'uptimeSeconds');
    });

    it('refuses node details with a key that is not the node operator, naming both', async () => {
      const peer = net.peers[0];
      const res = await run(['node', 'details', '--endpoint', peer.node?.url ?? '']);
      expect(res.code).to.equal(2);
      expect(res.stderr).to.contain(peer.address);
    });

    it('refuses node status without a key or an address', async () => {
      const res = await run(['node', 'status'], { DHOST_PRIVATE_KEY: '' });
      expect(res.code).to.equal(2);
      expect(res.stderr).to.contain('--address');
    });
  });

  describe('on any standard EVM JSON-RPC endpoint', () => {
    it('uses only standard eth_/net_/web3_ methods to run a node, upload, download and list peers', async () => {
      const rec = await startRpcRecorder({ target: net.rpcUrl });
      try {
        const operatorKey = hardhatKey(9);
        const { publicClient, chain } = await connectChain({ rpcUrl: net.rpcUrl });
        await fundAccounts(
          { publicClient, chain },
          {
            funderKey: hardhatKey(0),
            token: net.deployment.contracts.RewardToken,
            recipients: [privateKeyToAccount(operatorKey).address],
            tokens: 10_000n * 10n ** 18n,
          },
        );
        const extra = await startNode({
          dataDir: path.join(work, 'extra-node'),
          port: 0,
          capacityBytes: 1024 ** 3,
          privateKey: operatorKey,
          rpcUrl: rec.rpcUrl,
          deployment: net.deployment,
          log: () => {},
        });
        const input = path.join(work, 'std.bin');
        fs.writeFileSync(input, randomBytes(70_000));
        const up = await run(['upload', input], { DHOST_RPC_URL: rec.rpcUrl });
        expect(up.code, up.stderr).to.equal(0);
        const handle = up.stdout.trim().split('\n').pop() ?? '';
        const down = await run(['download', handle, '-o', path.join(work, 'std.out')], { DHOST_RPC_URL: rec.rpcUrl });
        expect(down.code, down.stderr).to.equal(0);
        expect((await run(['peers'], { DHOST_RPC_URL: rec.rpcUrl })).code).to.equal(0);
        await extra.stop();
        const methods = rec.methods();
        expect(methods).to.include.members(['eth_call', 'eth_chainId', 'eth_sendRawTransaction']);
        expect(methods.filter((m) => !/^(eth|net|web3)_/.test(m))).to.deep.equal([]);
      } finally {
        await rec.close();
      }
    });
  });

  describe('when the input is bad', () => {
    it('exits 2 with usage for an unknown command', async () => {
      const res = await run(['fly']);
      expect(res.code).to.equal(2);
      expect(res.stderr).to.contain('unknown command "fly"');
    });

    it('exits 1 with RPC_UNREACHABLE when the RPC URL does not answer', async () => {
      const res = await run(['peers'], { DHOST_RPC_URL: 'http://127.0.0.1:9' });
      expect(res.code).to.equal(1);
      expect(res.stderr).to.contain('RPC_UNREACHABLE');
      expect(res.stderr).to.contain('http://127.0.0.1:9');
    });

    it('exits 1 with DEPLOYMENT_MISSING when the deployment file is missing', async () => {
      const res = await run(['peers'], { DHOST_DEPLOYMENT: path.join(work, 'nope.json') });
      expect(res.code).to.equal(1);
      expect(res.stderr).to.contain('DEPLOYMENT_MISSING');
    });

    it('exits 1 with DEPLOYMENT_MALFORMED when the deployment file is not a deployment', async () => {
      const bad = path.join(work, 'bad.json');
      fs.writeFileSync(bad, '{"chainId":"x"}');
      const res = await run(['peers', '--json'], { DHOST_DEPLOYMENT: bad });
      expect(res.code).to.equal(1);
      expect(JSON.parse(res.stdout).error.code).to.equal('DEPLOYMENT_MALFORMED');
    });

    it('exits 1 with CHAIN_MISMATCH when the deployment is for another chain', async () => {
      const other = path.join(work, 'other.json');
      fs.writeFileSync(other, JSON.stringify({ ...net.deployment, chainId: 1 }));
      const res = await run(['peers'], { DHOST_DEPLOYMENT: other });
      expect(res.code).to.equal(1);
      expect(res.stderr).to.contain('CHAIN_MISMATCH');
    });

    it('refuses a malformed handle and writes nothing', async () => {
      const out = path.join(work, 'never.bin');
      const res = await run(['download', 'dhost://nothex#key', '-o', out]);
      expect(res.code).to.equal(1);
      expect(res.stderr).to.match(/handle/i);
      expect(fs.existsSync(out)).to.equal(false);
    });

    it('refuses a handle with the wrong key (foreign manifest) and writes nothing', async () => {
      const input = path.join(work, 'secret.bin');
      fs.writeFileSync(input, randomBytes(5000));
      const up = await run(['upload', input]);
      const handle = up.stdout.trim().split('\n').pop() ?? '';
      const wrongKey = `${handle.split('#')[0]}#${Buffer.from(randomBytes(32)).toString('base64url')}`;
      const out = path.join(work, 'wrong.bin');
      const res = await run(['download', wrongKey, '-o', out]);
      expect(res.code).to.equal(1);
      expect(res.stderr).to.match(/manifest/i);
      expect(fs.existsSync(out)).to.equal(false);
    });

    it('exits 2 when upload has no file', async () => {
      const res = await run(['upload']);
      expect(res.code).to.equal(2);
    });
  });
});
