import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import hre from 'hardhat';
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  HttpRequestError,
  RpcRequestError,
  TimeoutError,
  type Transport,
  http as viemHttp,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { marketAbi } from '../../../protocol/chain/market';
import { nodeHttpTransport } from '../../../protocol/chain/node-http-transport';
import { InvalidInputError } from '../../../protocol/errors';
import { randomFileId } from '../../../protocol/ids';
import { packageRoot } from '../../../protocol/package-root';
import { hardhatKey } from '../../../scripts/testkit/chain';
import { listenLocal } from '../../../scripts/testkit/local-server';
import { type MarketChain, startMarketChain } from '../../../scripts/testkit/node/market-chain';

/** A local HTTP server answering every request with `answer`, recording what it was sent. */
async function fakeRpc(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const seen: { url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      seen.push({ url: req.url, headers: req.headers, body: Buffer.concat(parts).toString('utf8') });
      answer(req, res);
    });
  });
  const local = await listenLocal(server);
  return { url: `${local.url}/rpc`, port: local.port, seen, close: local.close };
}

/** The first error in `err`'s cause chain that is an instance of `type`. */
function causeOf<T>(err: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  for (let e = err; e; e = (e as { cause?: unknown }).cause) if (e instanceof type) return e;
  return undefined;
}

describe('protocol/chain/node-http-transport: JSON-RPC over node:http, answering as viem’s http transport does', () => {
  let chain: MarketChain;
  const clientOf = (transport: Transport) => createPublicClient({ transport });

  before(async () => {
    chain = await startMarketChain(hre);
  });
  after(async () => {
    await chain.close();
  });

  it('reads the chain as the fetch transport does', async () => {
    const ours = clientOf(nodeHttpTransport(chain.rpcUrl));
    const theirs = clientOf(viemHttp(chain.rpcUrl));
    expect(await ours.getChainId()).to.equal(await theirs.getChainId());
    expect(await ours.getBlockNumber()).to.equal(await theirs.getBlockNumber());
    const address = chain.market;
    expect(await ours.getCode({ address })).to.equal(await theirs.getCode({ address }));
  });

  it('decodes a revert to the same custom error as the fetch transport', async () => {
    const call = {
      account: privateKeyToAccount(hardhatKey(5)),
      address: chain.market,
      abi: marketAbi,
      functionName: 'fillSlot',
      args: [randomFileId(), 0, `0x${'11'.repeat(32)}`, [], 0n, '0x'],
    } as const;
    const failure = async (transport: Transport) => {
      const err = await clientOf(transport)
        .simulateContract(call)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).to.be.instanceOf(BaseError);
      const reverted = (err as BaseError).walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
      expect(reverted, 'a ContractFunctionRevertedError in the chain').to.not.equal(null);
      return reverted?.data?.errorName;
    };
    const ours = await failure(nodeHttpTransport(chain.rpcUrl));
    expect(ours).to.be.a('string').and.not.equal('');
    expect(ours).to.equal(await failure(viemHttp(chain.rpcUrl)));
  });

  it('throws the node’s JSON-RPC error with its code and message, as the fetch transport does (an unknown method)', async () => {
    const failure = async (transport: Transport) => {
      const err = await clientOf(transport)
        .request({ method: 'dhost_noSuchMethod' } as never)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const rpc = causeOf(err, RpcRequestError);
      expect(rpc, 'an RpcRequestError in the chain').to.be.instanceOf(RpcRequestError);
      return { code: rpc?.code, details: rpc?.details };
    };
    const ours = await failure(nodeHttpTransport(chain.rpcUrl));
    expect(ours.code).to.be.a('number').and.below(0);
    expect(ours.details).to.match(/dhost_noSuchMethod/);
    expect(ours).to.deep.equal(await failure(viemHttp(chain.rpcUrl)));
  });

  describe('against a server that is not a JSON-RPC node', () => {
    let server: Awaited<ReturnType<typeof fakeRpc>> | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it('sends one JSON-RPC POST and returns its result', async () => {
      server = await fakeRpc((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x7a69' }));
      });
      expect(await clientOf(nodeHttpTransport(server.url, { retryCount: 0 })).getChainId()).to.equal(31337);
      expect(server.seen).to.have.length(1);
      expect(server.seen[0].url).to.equal('/rpc');
      expect(server.seen[0].headers['content-type']).to.equal('application/json');
      expect(JSON.parse(server.seen[0].body)).to.deep.include({ jsonrpc: '2.0', method: 'eth_chainId' });
    });

    it('sends credentials in the URL as basic authentication, not in the request line', async () => {
      server = await fakeRpc((_req, res) => res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x1' })));
      const url = `http://project:s%40cret@127.0.0.1:${server.port}/v3/key`;
      await clientOf(nodeHttpTransport(url, { retryCount: 0 })).getChainId();
      expect(server.seen[0].headers.authorization).to.equal(`Basic ${Buffer.from('project:s@cret').toString('base64')}`);
      expect(server.seen[0].url).to.equal('/v3/key');
    });

    it('throws HttpRequestError with the status for a refusal that is not JSON-RPC (502)', async () => {
      server = await fakeRpc((_req, res) => {
        res.statusCode = 502;
        res.end('bad gateway');
      });
      const err = await clientOf(nodeHttpTransport(server.url, { retryCount: 0 }))
        .getChainId()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const refused = causeOf(err, HttpRequestError);
      expect(refused?.status).to.equal(502);
      expect(refused?.details).to.equal('bad gateway');
    });

    it('throws HttpRequestError for an answer larger than maxResponseBytes', async () => {
      server = await fakeRpc((_req, res) => res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: `0x${'00'.repeat(1000)}` })));
      const err = await clientOf(nodeHttpTransport(server.url, { retryCount: 0, maxResponseBytes: 100 }))
        .getChainId()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(causeOf(err, HttpRequestError)?.details).to.match(/larger than 100 bytes/);
    });

    it('throws TimeoutError when no answer comes within timeoutMs', async () => {
      server = await fakeRpc(() => {}); // never answers
      const err = await clientOf(nodeHttpTransport(server.url, { retryCount: 0, timeoutMs: 200 }))
        .getChainId()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(causeOf(err, TimeoutError)).to.be.instanceOf(TimeoutError);
    });

    it('throws HttpRequestError when nothing listens', async () => {
      server = await fakeRpc(() => {});
      const url = server.url;
      await server.close();
      server = undefined;
      const err = await clientOf(nodeHttpTransport(url, { retryCount: 0 }))
        .getChainId()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(causeOf(err, HttpRequestError)?.details).to.match(/ECONNREFUSED/);
    });
  });

  it('refuses a URL that is not http: or https: with InvalidInputError', () => {
    expect(() => nodeHttpTransport('ws://127.0.0.1:8545')).to.throw(InvalidInputError, /http: or https:/);
  });

  it('never loads the fetch implementation (undici) in the process that uses it', async () => {
    const script = `
      const { createPublicClient } = require('viem');
      const { nodeHttpTransport } = require(${JSON.stringify(path.join(packageRoot(), 'dist', 'protocol', 'chain', 'node-http-transport.js'))});
      createPublicClient({ transport: nodeHttpTransport(process.argv[1]) }).getBlockNumber().then((n) => {
        const undici = process.moduleLoadList.filter((m) => m.includes('undici'));
        process.stdout.write(JSON.stringify({ block: String(n), undici }));
      });`;
    // Asynchronously: the chain answering the child runs in this process.
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, chain.rpcUrl], { cwd: packageRoot(), encoding: 'utf8' });
    const out = JSON.parse(stdout) as { block: string; undici: string[] };
    expect(BigInt(out.block)).to.be.greaterThan(0n);
    expect(out.undici).to.deep.equal([]);
  });
});
