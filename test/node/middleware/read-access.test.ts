import { expect } from 'chai';
import hre from 'hardhat';
import type { Hono } from 'hono';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createNodeApp } from '../../../node/app';
import type { NodeEnv } from '../../../node/env';
import { createChainDeals } from '../../../node/market/chain-deals';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { marketAbi } from '../../../protocol/chain/market';
import { shardPath } from '../../../protocol/column';
import type { FileId } from '../../../protocol/ids';
import { PERMISSION, TOKEN_HEADER, TOKEN_SCOPE } from '../../../protocol/retrieval-token';
import { EMPTY_SHA256, signRequest } from '../../../protocol/signing';
import { errorBodySchema } from '../../../protocol/wire';
import { hardhatKey } from '../../../scripts/testkit/chain';
import { assignedShardPut, fundOwners, type MarketChain, openTestDeal, startMarketChain } from '../../../scripts/testkit/node/market-chain';
import { testToken } from '../../../scripts/testkit/node/read-token';
import { randomShard, type ShardTarget, scratchDir, shardTarget } from '../../../scripts/testkit/node/shard-requests';

const CHAIN_ID = 31337;

describe('node read access (retrieval tokens on shard reads)', () => {
  const node = privateKeyToAccount(generatePrivateKey());
  const ownerKey = hardhatKey(40);
  const delegateKey = hardhatKey(41);
  const strangerKey = hardhatKey(42);
  const granteeKey = hardhatKey(43);
  const delegate = privateKeyToAccount(delegateKey);
  const grantee = privateKeyToAccount(granteeKey);
  let chain: MarketChain;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  let app: Hono<NodeEnv>;
  let logged: string[];
  let dealId: FileId;
  let otherDeal: FileId;
  let target: ShardTarget;
  let body: Uint8Array;

  /** The node's clock follows the chain's (other suites move chain time ahead; a real chain keeps to real time). */
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;
  const nowSeconds = () => BigInt(Math.floor(clock() / 1000));
  const domain = () => ({ chainId: CHAIN_ID, market: chain.market });
  const read = (headers: Record<string, string> = {}, path = shardPath(target)) => app.request(path, { headers });
  const withToken = async (p: Partial<Parameters<typeof testToken>[1]> = {}) => {
    const { text } = await testToken(domain(), { issuerKey: ownerKey, dealId, issuedAt: nowSeconds(), ...p });
    return { [TOKEN_HEADER]: text };
  };
  const send = async (key: Hex, functionName: 'setDelegate' | 'revokeToken' | 'revokeAllTokens', args: readonly unknown[]) => {
    const hash = await chain.wallet(key).writeContract({ address: chain.market, abi: marketAbi, functionName, args } as never);
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).to.equal('success');
    return receipt;
  };
  async function expectRefused(res: Response, status: number, code: string) {
    expect(res.status, await res.clone().text()).to.equal(status);
    expect(errorBodySchema.parse(await res.json()).error.code).to.equal(code);
  }
  async function expectServed(res: Response) {
    expect(res.status, await res.clone().text()).to.equal(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(body))).to.equal(true);
  }

  before(async () => {
    chain = await startMarketChain(hre);
    await fundOwners(chain, [ownerKey]);
    const head = await chain.publicClient.getBlock({ blockTag: 'latest' });
    offsetMs = Math.max(0, Number(head.timestamp) * 1000 - Date.now());
    dir = await scratchDir();
    nodeStore = await openNodeStore({ dataDir: dir.path });
    logged = [];
    app = createNodeApp({
      ...nodeStore,
      identity: { address: node.address, chainId: CHAIN_ID },
      limits: { capacityBytes: 1 << 20, maxShardBytes: 64 * 1024 },
      // No cache: every revocation and delegation below is seen by the next request.
      deals: createChainDeals({ publicClient: chain.publicClient }, { market: chain.market, ttlMs: 0 }),
      marketAddress: chain.market,
      now: clock,
      log: (line) => logged.push(line),
    });
    dealId = await openTestDeal(chain, { ownerKey, slots: 4, bytesPerSlot: 1n << 20n, durationEpochs: 10 });
    otherDeal = await openTestDeal(chain, { ownerKey, slots: 4, bytesPerSlot: 1n << 20n, durationEpochs: 10 });
    target = shardTarget({ fileId: dealId, column: 1, index: 0 });
    body = randomShard(2048);
    const put = await assignedShardPut(
      { chain: domain(), ownerKey, node: node.address },
      { target, body, timestamp: Number(nowSeconds()), assignment: { deadline: nowSeconds() + 3_600n } },
    );
    expect((await app.request(put.path, put.init)).status).to.equal(201);
  });
  after(async () => {
    nodeStore.close();
    await dir.remove();
    await chain.close();
  });
  afterEach(() => {
    // Every refusal is answered, never logged as an internal error.
    expect(logged).to.deep.equal([]);
  });

  it('refuses a read without a token with 401 TOKEN_REQUIRED, and one with garbage with 400 TOKEN_MALFORMED', async () => {
    await expectRefused(await read(), 401, 'TOKEN_REQUIRED');
    await expectRefused(await read({ [TOKEN_HEADER]: 'not-a-token' }), 400, 'TOKEN_MALFORMED');
    await expectRefused(await read({}, `${shardPath(target)}&token=${'A'.repeat(266)}`), 400, 'TOKEN_MALFORMED');
  });

  it('serves the owner’s bearer token in a header, in a signed URL (any origin) and for HEAD', async () => {
    const headers = await withToken();
    await expectServed(await read(headers));
    const url = `${shardPath(target)}&token=${headers[TOKEN_HEADER]}`;
    const viaUrl = await app.request(url, { headers: { origin: 'https://example.org' } });
    expect(viaUrl.headers.get('access-control-allow-origin')).to.equal('*');
    expect(viaUrl.headers.get('cache-control')).to.match(/^private/);
    await expectServed(viaUrl);
    const head = await app.request(shardPath(target), { method: 'HEAD', headers });
    expect(head.status).to.equal(200);
    expect(head.headers.get('content-length')).to.equal(String(body.length));
  });

  it('lets a browser send the token header across origins (preflight allows x-dhost-token)', async () => {
    const res = await app.request(shardPath(target), {
      method: 'OPTIONS',
      headers: { origin: 'https://example.org', 'access-control-request-method': 'GET', 'access-control-request-headers': TOKEN_HEADER },
    });
    expect(res.status).to.equal(204);
    expect(res.headers.get('access-control-allow-headers')).to.contain(TOKEN_HEADER);
  });

  it('refuses a token for another deal (403 TOKEN_WRONG_DEAL)', async () => {
    await expectRefused(await read(await withToken({ dealId: otherDeal })), 403, 'TOKEN_WRONG_DEAL');
  });

  it('refuses a token for other columns (403 TOKEN_WRONG_COLUMN) and serves one naming this column', async () => {
    await expectRefused(await read(await withToken({ columns: [0, 2, 3] })), 403, 'TOKEN_WRONG_COLUMN');
    await expectServed(await read(await withToken({ columns: [1] })));
  });

  it('refuses an expired token (403 TOKEN_EXPIRED) and one issued in the future (403 TOKEN_NOT_YET_VALID)', async () => {
    const now = nowSeconds();
    await expectRefused(await read(await withToken({ issuedAt: now - 100n, expiresAt: now - 1n })), 403, 'TOKEN_EXPIRED');
    await expectRefused(await read(await withToken({ issuedAt: now + 3_600n, expiresAt: now + 7_200n })), 403, 'TOKEN_NOT_YET_VALID');
  });

  it('refuses a token signed by a stranger, for another chain, or tampered with (403 TOKEN_ISSUER_NOT_ALLOWED)', async () => {
    await expectRefused(await read(await withToken({ issuerKey: strangerKey })), 403, 'TOKEN_ISSUER_NOT_ALLOWED');
    const foreign = await testToken({ chainId: 1, market: chain.market }, { issuerKey: ownerKey, dealId, issuedAt: nowSeconds() });
    await expectRefused(await read({ [TOKEN_HEADER]: foreign.text }), 403, 'TOKEN_ISSUER_NOT_ALLOWED');
    // Widen the column set of a token for column 0 to every column: the signature no longer matches the owner.
    const narrow = await testToken(domain(), { issuerKey: ownerKey, dealId, columns: [0], issuedAt: nowSeconds() });
    const bytes = Buffer.from(narrow.text, 'base64url');
    bytes.fill(0, 33, 65);
    const res = await read({ [TOKEN_HEADER]: bytes.toString('base64url') });
    expect(res.status).to.equal(403);
    expect(['TOKEN_ISSUER_NOT_ALLOWED', 'TOKEN_SIGNATURE_INVALID']).to.include(errorBodySchema.parse(await res.json()).error.code);
  });

  it('accepts a token dated ahead of the node’s clock while it is within the skew of the chain’s (a node clock an hour slow)', async () => {
    const slow = createNodeApp({
      ...nodeStore,
      identity: { address: node.address, chainId: CHAIN_ID },
      limits: { capacityBytes: 1 << 20, maxShardBytes: 64 * 1024 },
      deals: createChainDeals({ publicClient: chain.publicClient }, { market: chain.market, ttlMs: 0 }),
      marketAddress: chain.market,
      now: () => clock() - 3_600_000,
      log: (line) => logged.push(line),
    });
    const chainNow = (await chain.publicClient.getBlock({ blockTag: 'latest' })).timestamp;
    const fresh = await withToken({ issuedAt: chainNow, expiresAt: chainNow + 7_200n });
    const served = await slow.request(shardPath(target), { headers: fresh });
    expect(served.status, await served.clone().text()).to.equal(200);
    const ahead = await withToken({ issuedAt: chainNow + 3_600n, expiresAt: chainNow + 7_200n });
    await expectRefused(await slow.request(shardPath(target), { headers: ahead }), 403, 'TOKEN_NOT_YET_VALID');
  });

  it('answers 404 for a slot it does not hold, token or not', async () => {
    const missing = shardTarget({ fileId: dealId, column: 2, index: 0 });
    await expectRefused(await read(await withToken(), shardPath(missing)), 404, 'SHARD_NOT_FOUND');
  });

  describe('delegates', () => {
    afterEach(async () => {
      await send(ownerKey, 'setDelegate', [delegate.address, 0]);
    });

    it('serves a read token from a read delegate, refuses it once the delegation is withdrawn', async () => {
      await send(ownerKey, 'setDelegate', [delegate.address, PERMISSION.read]);
      const headers = await withToken({ issuerKey: delegateKey });
      await expectServed(await read(headers));
      await send(ownerKey, 'setDelegate', [delegate.address, 0]);
      await expectRefused(await read(headers), 403, 'TOKEN_ISSUER_NOT_ALLOWED');
    });

    it('serves a repair token from a repair delegate, and refuses a read token from it (403)', async () => {
      await send(ownerKey, 'setDelegate', [delegate.address, PERMISSION.repair]);
      await expectServed(await read(await withToken({ issuerKey: delegateKey, scope: TOKEN_SCOPE.repair })));
      await expectRefused(await read(await withToken({ issuerKey: delegateKey, scope: TOKEN_SCOPE.read })), 403, 'TOKEN_ISSUER_NOT_ALLOWED');
    });
  });

  describe('revocation on chain', () => {
    it('refuses a token whose nonce the owner revoked (403 TOKEN_REVOKED); other tokens still work', async () => {
      const { token, text } = await testToken(domain(), { issuerKey: ownerKey, dealId, issuedAt: nowSeconds() });
      await expectServed(await read({ [TOKEN_HEADER]: text }));
      await send(ownerKey, 'revokeToken', [dealId, token.nonce]);
      await expectRefused(await read({ [TOKEN_HEADER]: text }), 403, 'TOKEN_REVOKED');
      await expectServed(await read(await withToken()));
    });

    it('refuses every token issued up to a revoke-all, and serves one issued after it', async () => {
      // A deal of its own, so that the revoke-all touches no other specification.
      const revokedDeal = await openTestDeal(chain, { ownerKey, slots: 4, bytesPerSlot: 1n << 20n, durationEpochs: 10 });
      const own = shardTarget({ fileId: revokedDeal, column: 1, index: 0 });
      const put = await assignedShardPut(
        { chain: domain(), ownerKey, node: node.address },
        { target: own, body, timestamp: Number(nowSeconds()), assignment: { deadline: nowSeconds() + 3_600n } },
      );
      expect((await app.request(put.path, put.init)).status).to.equal(201);
      const readOwn = async (issuedAt: bigint) => read(await withToken({ dealId: revokedDeal, issuedAt, expiresAt: issuedAt + 7_200n }), shardPath(own));
      const block = await chain.publicClient.getBlock({ blockTag: 'latest' });
      await expectServed(await readOwn(block.timestamp));
      const receipt = await send(ownerKey, 'revokeAllTokens', [revokedDeal]);
      const validAfter = (await chain.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp;
      await expectRefused(await readOwn(block.timestamp), 403, 'TOKEN_REVOKED');
      await expectRefused(await readOwn(validAfter), 403, 'TOKEN_REVOKED');
      await expectServed(await readOwn(validAfter + 1n));
      // Other deals of the same owner are untouched.
      await expectServed(await read(await withToken()));
    });
  });

  describe('a token bound to a grantee', () => {
    const granteeSigned = async (signerKey: Hex, headers: Record<string, string>, p: { node?: Hex; path?: string } = {}) => ({
      ...headers,
      ...(await signRequest(
        { account: privateKeyToAccount(signerKey) },
        {
          method: 'GET',
          pathAndQuery: p.path ?? shardPath(target),
          contentSha256: EMPTY_SHA256,
          node: (p.node ?? node.address) as Hex,
          chainId: CHAIN_ID,
          timestamp: Number(nowSeconds()),
        },
      )),
    });

    it('serves the grantee’s signed request only', async () => {
      const headers = await withToken({ grantee: grantee.address });
      await expectRefused(await read(headers), 403, 'TOKEN_GRANTEE_MISMATCH');
      await expectRefused(await read(await granteeSigned(strangerKey, headers)), 403, 'TOKEN_GRANTEE_MISMATCH');
      await expectRefused(
        await read(await granteeSigned(granteeKey, headers, { node: privateKeyToAccount(strangerKey).address })),
        403,
        'TOKEN_GRANTEE_MISMATCH',
      );
      await expectServed(await read(await granteeSigned(granteeKey, headers)));
    });
  });
});
