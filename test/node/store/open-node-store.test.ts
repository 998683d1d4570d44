import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { openNodeStore } from '../../../node/store/open-node-store';
import { scratchDir } from '../../../scripts/testkit/node/shard-requests';

const signer = '0x00000000000000000000000000000000000000aa' as const;
const nonce = `0x${'ab'.repeat(32)}` as const;

/** Opens the store in a child process, remembers `nonce`, says so, and waits to be killed. */
const CHILD_SCRIPT = `
const { openNodeStore } = require('./node/store/open-node-store');
openNodeStore({ dataDir: process.env.DATA_DIR }).then((s) => {
  const fresh = s.nonces.remember({ signer: '${signer}', nonce: '${nonce}', expiresAt: Math.floor(Date.now() / 1000) + 600 });
  process.stdout.write(fresh ? 'REMEMBERED\\n' : 'REPLAY\\n');
  setInterval(() => {}, 1000);
});
`;

describe('openNodeStore: nonces', () => {
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  beforeEach(async () => {
    dir = await scratchDir('dhost-open-store-');
  });
  afterEach(async () => {
    await dir.remove();
  });

  it('keeps a nonce across a clean close and reopen', async () => {
    const first = await openNodeStore({ dataDir: dir.path });
    expect(first.nonces.remember({ signer, nonce, expiresAt: Math.floor(Date.now() / 1000) + 600 })).to.equal(true);
    first.close();
    const again = await openNodeStore({ dataDir: dir.path });
    try {
      expect(again.nonces.remember({ signer, nonce, expiresAt: Math.floor(Date.now() / 1000) + 600 })).to.equal(false);
    } finally {
      again.close();
    }
  });

  it('keeps a nonce when the process is killed with SIGKILL right after remembering it (no sync of its own needed)', async function () {
    this.timeout(60_000);
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', CHILD_SCRIPT], {
      cwd: path.resolve(__dirname, '../../..'),
      env: { ...process.env, DATA_DIR: dir.path, TS_NODE_TRANSPILE_ONLY: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const said = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (data: Buffer) => resolve(data.toString().trim()));
      child.on('exit', (code) => reject(new Error(`child exited with ${code} before remembering`)));
    });
    expect(said).to.equal('REMEMBERED');
    const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).to.equal('SIGKILL');
    const reopened = await openNodeStore({ dataDir: dir.path });
    try {
      expect(reopened.nonces.remember({ signer, nonce, expiresAt: Math.floor(Date.now() / 1000) + 600 })).to.equal(false);
    } finally {
      reopened.close();
    }
  });
});
