import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import hre from 'hardhat';
import { privateKeyToAccount } from 'viem/accounts';
import { fundAccounts } from '../../cli/devnet/fund';
import { getHoldings } from '../../client/transport/get-holdings';
import { connectChain } from '../../protocol/chain/connect';
import type { FileId } from '../../protocol/ids';
import { hardhatKey } from '../../scripts/testkit/chain';
import { type ProcessNetwork, startProcessNetwork } from '../../scripts/testkit/process-network';

const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'cli', 'bin', 'dhost.js');
const run = promisify(execFile);
const CHUNK = 64 * 1024;
/** 256 chunks of 64 KiB under RS(4,2): 64 stripes, 6 columns of 64 shards and a manifest. */
const SIZE = 256 * CHUNK - 1000;

describe('dhost upload --resume after the client was killed with SIGKILL (separate processes)', () => {
  let pn: ProcessNetwork;
  let work: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    pn = await startProcessNetwork(hre, { peers: 7, firstAccount: 1 });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-cli-resume-'));
    const key = hardhatKey(17);
    const { publicClient, chain } = await connectChain({ rpcUrl: pn.rpcUrl });
    await fundAccounts(
      { publicClient, chain },
      { funderKey: hardhatKey(0), token: pn.deployment.contracts.RewardToken, recipients: [privateKeyToAccount(key).address], tokens: 1_000_000n * 10n ** 18n },
    );
    env = { ...pn.env, DHOST_HOME: path.join(work, 'home'), DHOST_PRIVATE_KEY: key };
  });

  after(async () => {
    await pn?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const bytesIn = () => pn.peers.reduce((n, p) => n + p.bytesIn, 0);

  it('finishes the upload in the same deal without sending again what landed; the handle downloads byte for byte', async () => {
    const file = path.join(work, 'big.bin');
    const bytes = randomBytes(SIZE);
    fs.writeFileSync(file, bytes);
    const pendingDir = path.join(env.DHOST_HOME as string, 'pending-uploads');
    const before = bytesIn();

    // Start the upload, and SIGKILL it once the peers hold some of its shards.
    const child = spawn(process.execPath, [bin, 'upload', file, '--redundancy', 'rs:4+2', '--chunk-size', '64KiB'], { cwd: root, env, stdio: 'pipe' });
    let childOut = '';
    child.stdout.on('data', (d) => {
      childOut += d;
    });
    child.stderr.on('data', (d) => {
      childOut += d;
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    let heldAtKill = 0;
    let dealId: FileId | undefined;
    for (let i = 0; i < 3000 && child.exitCode === null; i++) {
      const journal = fs.existsSync(pendingDir) ? fs.readdirSync(pendingDir).find((n) => n.endsWith('.json')) : undefined;
      if (journal) {
        const record = JSON.parse(fs.readFileSync(path.join(pendingDir, journal), 'utf8'));
        dealId = record.dealId;
        const counts = await Promise.all(
          record.columns.map((c: { endpoint: string }) =>
            getHoldings({}, { endpoint: c.endpoint, fileId: record.dealId }).then(
              ({ holdings }) => holdings.slots.reduce((n, s) => n + s.shards.length, 0),
              () => 0,
            ),
          ),
        );
        heldAtKill = counts.reduce((n: number, c: number) => n + c, 0);
        if (heldAtKill >= 60) {
          child.kill('SIGKILL');
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const end = await exited;
    expect(end.signal, `the upload was killed mid-way (it printed: ${childOut})`).to.equal('SIGKILL');
    expect(dealId).to.match(/^0x[0-9a-f]{64}$/);
    const sentBeforeKill = bytesIn() - before;

    // A plain upload of the same file points at --resume (a chunk size the upload refuses stops it right after the hint).
    const plain = await run(process.execPath, [bin, 'upload', file, '--chunk-size', '1'], { cwd: root, env }).then(
      () => undefined,
      (e: { stderr: string }) => e,
    );
    expect(plain?.stderr).to.contain(`dhost upload --resume ${dealId}`);

    const resumed = await run(process.execPath, [bin, 'upload', '--resume'], { cwd: root, env, maxBuffer: 1 << 24 });
    const handle = resumed.stdout.trim().split('\n').pop() ?? '';
    expect(handle).to.match(/^dhost:\/\//);
    expect(handle).to.contain((dealId as string).slice(2));
    const skipped = Number(/(\d+) pieces were already on the peers/.exec(resumed.stderr)?.[1]);
    expect(skipped).to.be.at.least(heldAtKill);
    expect(fs.readdirSync(pendingDir).filter((n) => n.endsWith('.json'))).to.deep.equal([]);

    const total = bytesIn() - before;
    const stored = SIZE * 1.5; // RS(4,2): every byte once, plus half again of parity
    console.log(
      `      killed with ${heldAtKill} of 390 pieces held (${(sentBeforeKill / 2 ** 20).toFixed(1)} MiB sent); resume skipped ${skipped}; nodes received ${(total / 2 ** 20).toFixed(2)} MiB for ${(stored / 2 ** 20).toFixed(2)} MiB of shards (${(total / stored).toFixed(3)}×)`,
    );
    expect(total).to.be.at.least(stored);
    expect(total).to.be.below(stored * 1.15);

    const copy = path.join(work, 'copy.bin');
    await run(process.execPath, [bin, 'download', handle, '-o', copy], { cwd: root, env, maxBuffer: 1 << 24 });
    expect(Buffer.compare(fs.readFileSync(copy), bytes)).to.equal(0);
    const ls = await run(process.execPath, [bin, 'ls', '--json'], { cwd: root, env });
    expect(ls.stdout).to.contain((dealId as string).slice(2));
  });
});
