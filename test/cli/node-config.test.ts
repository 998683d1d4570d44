import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { UsageError } from '../../cli/errors';
import { main } from '../../cli/main';
import { mergeNodeSettings, readNodeConfig, readSecretFile } from '../../cli/node-config';
import { captureStream } from '../../scripts/testkit/capture';
import { hardhatKey } from '../../scripts/testkit/chain';

describe('the node config file', () => {
  let dir: string;
  const write = (name: string, content: string, mode = 0o644) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content, { mode });
    fs.chmodSync(file, mode);
    return file;
  };
  const config = (value: unknown) => write('node.json', JSON.stringify(value));
  const usageOf = (f: () => unknown): string => {
    try {
      f();
    } catch (error) {
      expect(error).to.be.instanceOf(UsageError);
      return (error as Error).message;
    }
    throw new Error('expected a UsageError');
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-node-config-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('when the file is valid', () => {
    it('reads every key and resolves relative paths against the file’s folder', () => {
      const file = config({
        rpcUrl: 'https://rpc.example.org/v1',
        deployment: 'deployments/11155111.json',
        port: 7001,
        host: '0.0.0.0',
        dataDir: 'data',
        capacity: '100GiB',
        stake: '1000',
        endpoint: 'https://node1.example.org',
        pricePerGiBEpoch: '0.001',
        privateKeyFile: 'operator.key',
        apiKeyFile: '/etc/dhost/api.key',
      });
      expect(readNodeConfig(file)).to.deep.equal({
        rpcUrl: 'https://rpc.example.org/v1',
        deployment: path.join(dir, 'deployments/11155111.json'),
        port: 7001,
        host: '0.0.0.0',
        dataDir: path.join(dir, 'data'),
        capacity: '100GiB',
        stake: '1000',
        endpoint: 'https://node1.example.org',
        pricePerGiBEpoch: '0.001',
        privateKeyFile: path.join(dir, 'operator.key'),
        apiKeyFile: '/etc/dhost/api.key',
      });
    });
  });

  describe('when the file is bad', () => {
    it('refuses an unknown key, naming it', () => {
      expect(usageOf(() => readNodeConfig(config({ port: 7001, privateKey: '0xabc' })))).to.match(/unknown key "privateKey"/);
    });

    for (const [key, value, pattern] of [
      ['port', 70000, /"port" .* 0-65535/],
      ['port', '7001', /"port" .*whole number/],
      ['capacity', 'lots', /"capacity" .*size/],
      ['stake', '-5', /"stake" .*token amount/],
      ['pricePerGiBEpoch', 1, /"pricePerGiBEpoch"/],
      ['rpcUrl', 'ftp://rpc.example', /"rpcUrl" .*http/],
      ['endpoint', 'not a url', /"endpoint" .*URL/],
      ['dataDir', '', /"dataDir"/],
    ] as const) {
      it(`refuses ${key} = ${JSON.stringify(value)}, naming the key`, () => {
        expect(usageOf(() => readNodeConfig(config({ [key]: value })))).to.match(pattern);
      });
    }

    it('refuses a file that is not JSON, or not an object, or missing', () => {
      expect(usageOf(() => readNodeConfig(write('bad.json', '{ port: 1 }')))).to.match(/not JSON/);
      expect(usageOf(() => readNodeConfig(write('array.json', '[]')))).to.match(/JSON object/);
      expect(usageOf(() => readNodeConfig(path.join(dir, 'none.json')))).to.match(/cannot read the config file/);
    });
  });

  describe('secret files', () => {
    it('reads a key file only its owner can read', () => {
      expect(readSecretFile(write('k', ' secret \n', 0o600), 'apiKeyFile')).to.equal('secret');
      expect(readSecretFile(write('k2', 'secret', 0o400), 'apiKeyFile')).to.equal('secret');
    });

    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      it(`refuses a key file with mode ${mode.toString(8)}, as ssh does`, () => {
        const message = usageOf(() => readSecretFile(write('k', 'secret', mode), 'privateKeyFile'));
        expect(message).to.contain('readable by others');
        expect(message).to.contain(`mode ${mode.toString(8)}`);
        expect(message).to.contain('chmod 600');
      });
    }

    it('refuses an empty key file', () => {
      expect(usageOf(() => readSecretFile(write('k', '\n', 0o600), 'apiKeyFile'))).to.match(/empty/);
    });
  });

  describe('merging flags, environment and file', () => {
    const key = hardhatKey(4);
    const other = hardhatKey(5);

    it('takes the file’s values, the secrets from its key files', () => {
      const file = config({
        port: 7001,
        dataDir: 'data',
        capacity: '1GiB',
        stake: '2.5',
        pricePerGiBEpoch: '0.001',
        rpcUrl: 'https://rpc.example.org',
        privateKeyFile: 'op.key',
        apiKeyFile: 'api.key',
      });
      write('op.key', `${key.slice(2)}\n`, 0o600);
      write('api.key', 'api-secret', 0o600);
      const merged = mergeNodeSettings({}, {}, readNodeConfig(file));
      expect(merged).to.deep.include({
        port: 7001,
        dataDir: path.join(dir, 'data'),
        capacityBytes: 1 << 30,
        stake: 2_500_000_000_000_000_000n,
        pricePerGiBEpoch: 10n ** 15n,
        rpcUrl: 'https://rpc.example.org',
        privateKey: key,
        apiKey: 'api-secret',
      });
    });

    it('lets flags override the file', () => {
      const file = config({ port: 7001, dataDir: 'data', capacity: '1GiB', host: '0.0.0.0', rpcUrl: 'https://a.example', deployment: 'd.json' });
      const merged = mergeNodeSettings(
        { port: '7002', data: '/srv/n', capacity: '2GiB', host: '127.0.0.1', rpc: 'https://b.example', deployment: '/x.json' },
        { DHOST_RPC_URL: 'https://env.example' },
        readNodeConfig(file),
      );
      expect(merged).to.deep.include({
        port: 7002,
        dataDir: '/srv/n',
        capacityBytes: 2 * 2 ** 30,
        host: '127.0.0.1',
        rpcUrl: 'https://b.example',
        deployment: '/x.json',
      });
    });

    it('lets the environment override the file’s secrets and RPC URL, without reading the key files', () => {
      // Key files readable by others would be refused if they were read.
      const file = config({ rpcUrl: 'https://a.example', privateKeyFile: write('op.key', key, 0o644), apiKeyFile: write('api.key', 'x', 0o644) });
      const merged = mergeNodeSettings({}, { DHOST_PRIVATE_KEY: other, DHOST_API_KEY: 'from-env', DHOST_RPC_URL: 'https://env.example' }, readNodeConfig(file));
      expect(merged).to.deep.include({ privateKey: other, apiKey: 'from-env', rpcUrl: 'https://env.example' });
    });

    it('refuses a private key file that does not hold a key', () => {
      const file = config({ privateKeyFile: write('op.key', 'not a key', 0o600) });
      expect(usageOf(() => mergeNodeSettings({}, {}, readNodeConfig(file)))).to.match(/privateKeyFile .* 64 hex digits/);
    });
  });

  describe('through `dhost node --config`', () => {
    const run = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const stdout = captureStream();
      const stderr = captureStream();
      const code = await main(args, { stdout: stdout.stream, stderr: stderr.stream, env, signal: new AbortController().signal });
      return { code, stderr: stderr.text() };
    };

    it('exits 2 naming an unknown key', async () => {
      const res = await run(['node', '--config', config({ port: 7001, dataDirectory: '/srv' })]);
      expect(res.code).to.equal(2);
      expect(res.stderr).to.contain('unknown key "dataDirectory"');
    });

    it('exits 2 when the key file is readable by others', async () => {
      const file = config({ port: 7001, dataDir: 'data', privateKeyFile: write('op.key', hardhatKey(4), 0o644) });
      const res = await run(['node', '--config', file]);
      expect(res.code).to.equal(2);
      expect(res.stderr).to.contain('readable by others');
    });

    it('exits 2 without a port in the flags or the file', async () => {
      const res = await run(['node', '--config', config({ dataDir: 'data' })], { DHOST_PRIVATE_KEY: hardhatKey(4) });
      expect(res.code).to.equal(2);
      expect(res.stderr).to.contain('--port');
    });
  });
});
