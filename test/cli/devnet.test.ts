import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';

const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'cli', 'bin', 'dhost.js');
const run = promisify(execFile);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('dhost devnet (separate processes, as `npm start` runs it)', () => {
  let work: string;
  let devnet: ChildProcess;
  let output = '';
  let chainPort: number;
  let nodePort: number;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-devnet-'));
    chainPort = await freePort();
    nodePort = await freePort();
    const deployment = path.join(work, 'deployment.json');
    env = { ...process.env, DHOST_RPC_URL: `http://127.0.0.1:${chainPort}`, DHOST_DEPLOYMENT: deployment, DHOST_HOME: path.join(work, 'home') };
    delete env.DHOST_PRIVATE_KEY;
    devnet = spawn(
      process.execPath,
      [bin, 'devnet', '--peers', '3', '--port', String(chainPort), '--node-port', String(nodePort), '--state', path.join(work, 'state')],
      {
        cwd: root,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    devnet.stdout?.on('data', (d) => {
      output += d;
    });
    devnet.stderr?.on('data', (d) => {
      output += d;
    });
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (output.includes('Ctrl-C stops the devnet')) {
          clearInterval(check);
          resolve();
        }
      }, 200);
      devnet.once('exit', (code) => {
        clearInterval(check);
        reject(new Error(`devnet exited early (${code}):\n${output}`));
      });
    });
  });

  after(() => {
    if (devnet.exitCode === null) devnet.kill('SIGKILL');
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('prints a table of the registered peers and the upload command', () => {
    expect(output).to.contain('3 of 3 peers active');
    expect(output).to.contain('npx dhost upload README.md');
    for (let i = 0; i < 3; i++) expect(output).to.contain(`http://127.0.0.1:${nodePort + i}`);
  });

  it('takes an upload of README.md from a second process and gives an identical download', async () => {
    const up = await run(process.execPath, [bin, 'upload', 'README.md'], { cwd: root, env });
    const handle = up.stdout.trim().split('\n').pop() ?? '';
    expect(handle).to.match(/^dhost:\/\//);
    const copy = path.join(work, 'copy.md');
    await run(process.execPath, [bin, 'download', handle, '-o', copy], { cwd: root, env });
    expect(Buffer.compare(fs.readFileSync(copy), fs.readFileSync(path.join(root, 'README.md')))).to.equal(0);
  });

  it('stops the chain and every node on Ctrl-C', async () => {
    const exited = new Promise<number | null>((resolve) => devnet.once('exit', (code) => resolve(code)));
    devnet.kill('SIGINT');
    expect(await exited).to.equal(0);
    expect(await portAnswers(chainPort)).to.equal(false);
    for (let i = 0; i < 3; i++) expect(await portAnswers(nodePort + i)).to.equal(false);
  });
});
