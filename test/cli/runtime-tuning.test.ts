import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { RUNTIME_ENV, RUNTIME_NODE_FLAGS } from '../../cli/runtime-tuning';

const bin = path.join(__dirname, '..', '..', 'cli', 'bin', 'dhost.js');

describe('the runtime settings of dhost processes', () => {
  const shebang = fs.readFileSync(bin, 'utf8').split('\n')[0];

  it('the dhost command starts Node with the flags and environment of cli/runtime-tuning.ts', () => {
    const env = Object.entries(RUNTIME_ENV).map(([name, value]) => `${name}=${value}`);
    expect(shebang).to.equal(`#!/usr/bin/env -S ${[...env, 'node', ...RUNTIME_NODE_FLAGS].join(' ')}`);
    expect(fs.statSync(bin).mode & 0o111, 'cli/bin/dhost.js is executable').to.not.equal(0);
  });

  it('a process started as the shebang says keeps a 2 MiB young generation and two malloc arenas', () => {
    // Allocates short-lived objects (the young generation grows as far as it may), then reports its size.
    const probe =
      "let keep = []; for (let i = 0; i < 3e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 2e5) keep = []; }" +
      "const s = require('v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');" +
      'process.stdout.write(JSON.stringify({ newSpace: s.space_size, arenas: process.env.MALLOC_ARENA_MAX ?? null }));';
    // The shebang's own command line, run the way the kernel runs it, with the probe instead of the CLI.
    const words = shebang.replace(/^#!\/usr\/bin\/env -S /, '').split(' ');
    const tuned = JSON.parse(execFileSync('/usr/bin/env', ['-S', [...words, '-e', JSON.stringify(probe)].join(' ')], { encoding: 'utf8' }));
    expect(tuned).to.deep.equal({ newSpace: 2 * 1024 * 1024, arenas: '2' });
    // The same probe without the settings: the young generation grows past 2 MiB, so the probe tells them apart.
    const env = { ...process.env };
    delete env.MALLOC_ARENA_MAX;
    const plain = JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8', env }));
    expect(plain.newSpace).to.be.above(2 * 1024 * 1024);
    expect(plain.arenas).to.equal(null);
  });
});
