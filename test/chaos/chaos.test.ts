import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { ChaosResult } from '../../scripts/chaos/chaos-result';

const root = path.join(__dirname, '..', '..');

/**
 * The short chaos run: the same driver as `npm run chaos` (dist/scripts/chaos/run.js, built by
 * `npm test` first), as a child process with its own `hardhat node` chain, so the in-process chain
 * that other suites move in time is not involved. Seven peers under RS(2,2) (three spares, so a
 * repair always finds a new peer), twelve files of 0 B..2 MiB, two peers behind the fault proxy.
 */
describe('chaos suite, short run (kills, pauses, corrupt shards, a fault-injecting proxy)', function () {
  this.timeout(240_000);
  let result: ChaosResult;
  let exitCode: number | null;
  let stderr = '';
  let work: string;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-chaos-test-'));
    const out = path.join(work, 'chaos.json');
    const child = spawn(process.execPath, [path.join(root, 'dist', 'scripts', 'chaos', 'run.js')], {
      cwd: root,
      env: {
        ...process.env,
        CHAOS_NODES: '7',
        CHAOS_REDUNDANCY: 'rs:2+2',
        CHAOS_FILES: '12',
        CHAOS_MAX_BYTES: '2MiB',
        CHAOS_SEED: '7',
        CHAOS_TIME_LIMIT: '60',
        CHAOS_LONG_KILLS: '1',
        CHAOS_FAULT_INTERVAL_MS: '2000',
        CHAOS_PROXIED: '2',
        CHAOS_PROXY_RATES: '0.3,0.1,0.1',
        CHAOS_CONCURRENCY: '2',
        CHAOS_HEARTBEAT_TIMEOUT: '9',
        CHAOS_LAPSE_SECONDS: '6',
        CHAOS_CHAIN_PORT: '8746',
        CHAOS_NODE_PORT: '7631',
        CHAOS_PROXY_PORT: '7731',
        CHAOS_OUT: out,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    if (!fs.existsSync(out)) throw new Error(`the chaos run wrote no result (exit ${exitCode}):\n${stderr.slice(-4000)}`);
    result = JSON.parse(fs.readFileSync(out, 'utf8')) as ChaosResult;
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('loses no file it wrote, and exits 0', () => {
    expect(result.lost, stderr.slice(-4000)).to.deep.equal([]);
    expect(result.filesWritten).to.be.greaterThan(0);
    expect(result.filesIntact).to.equal(result.filesWritten);
    expect(exitCode).to.equal(0);
  });

  it('injects every kind of fault: kills and restarts, pauses, corrupt shards, proxy latency, resets and truncated answers', () => {
    const f = result.faultsInjected;
    for (const kind of ['kill', 'killLong', 'restart', 'pause', 'corrupt', 'proxyLatency', 'proxyReset', 'proxyTruncate']) {
      expect(f[kind], kind).to.be.greaterThan(0);
    }
  });

  it('never takes a file past its tolerance while faults go on', () => {
    expect(result.peaks.badColumnsOfAFile).to.be.at.most(result.peaks.tolerance);
    expect(result.peaks.peersOut).to.be.at.most(result.peaks.tolerance);
  });

  describe('when a shard is corrupted on a peer disk', () => {
    it('the peer serves the corrupt bytes, the client rejects them, and the file still comes back intact', () => {
      expect(result.corruptedFiles).to.be.greaterThan(0);
      expect(result.corruptShardsServed).to.be.greaterThan(0);
      expect(result.lost).to.deep.equal([]);
    });
  });

  describe('when a peer stays down past the lapse delay', () => {
    it('the client repair rebuilds its columns on spare peers', () => {
      expect(result.slotsFreed).to.be.greaterThan(0);
      expect(result.repairs).to.be.greaterThan(0);
    });
  });
});
