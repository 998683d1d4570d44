import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import hre from 'hardhat';
import { Hono } from 'hono';
import { bytesSource, chainPeerSource, masterFromPrivateKey, upload } from '../../../client';
import type { NodeEnv } from '../../../node/env';
import { createChainHolders } from '../../../node/market/chain-holders';
import { publicReadCors } from '../../../node/middleware/cors';
import { errorHandler, notFoundHandler } from '../../../node/middleware/error-handler';
import { isPublicRead, isShardRead } from '../../../node/middleware/public-reads';
import { securityHeaders } from '../../../node/middleware/security-headers';
import { type DealHoldersBody, dealHolderRoutes } from '../../../node/routes/deal-holders';
import { parseFileId, slotIdOf } from '../../../protocol/ids';
import { startTestNetwork, type TestNetwork } from '../../../scripts/testkit/network';

const DAY = 86_400;

/** The node's middleware in front of the route, as node/app.ts puts it. */
function appWith(routes: Hono<NodeEnv>): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();
  app.onError(errorHandler({ log: () => {} }));
  app.notFound(notFoundHandler());
  app.use('*', securityHeaders({ crossOrigin: isShardRead }));
  app.use('*', publicReadCors({ isPublic: isPublicRead }));
  app.route('/', routes);
  return app;
}

describe('node/routes/deal-holders: GET /deals/:dealId/holders', () => {
  describe('against a real network after an upload', () => {
    let net: TestNetwork;
    let app: Hono<NodeEnv>;
    let stored: Awaited<ReturnType<typeof upload>>;

    before(async () => {
      net = await startTestNetwork(hre, {
        peers: 4,
        deployParams: { heartbeatTimeout: BigInt(30 * DAY), evictionDelay: BigInt(60 * DAY), challengeProbabilityPpm: 0n },
      });
      const user = await net.user();
      const marketplace = net.marketplaceFor(user.account);
      const peers = chainPeerSource({ publicClient: marketplace.publicClient, registry: marketplace.registry });
      stored = await upload(
        { account: user.account, chainId: net.chainId, master: masterFromPrivateKey(user.key), peers, marketplace },
        {
          source: bytesSource(randomBytes(20_000)),
          name: 'holders.bin',
          chunkSize: 16 * 1024,
          redundancy: { scheme: 'replicate', replicas: 3 },
          pollIntervalMs: 100,
        },
      );
      app = appWith(
        dealHolderRoutes({
          holders: createChainHolders({ publicClient: marketplace.publicClient }, { market: marketplace.market, registry: marketplace.registry }),
        }),
      );
    });
    after(async () => {
      await net?.close();
    });

    it('lists every filled slot of the deal: column, slot id, operator and registered endpoint, by column', async () => {
      const res = await app.request(`/deals/${stored.fileId}/holders`);
      expect(res.status).to.equal(200);
      const body = (await res.json()) as DealHoldersBody;
      expect(body.dealId).to.equal(stored.fileId);
      expect(body.holders.map((h) => h.column)).to.deep.equal([0, 1, 2]);
      for (const h of body.holders) {
        const column = stored.columns.find((c) => c.column === h.column)!;
        expect(h.operator).to.equal(column.operator);
        expect(h.endpoint).to.equal(column.endpoint);
        expect(h.slotId).to.equal(slotIdOf(stored.fileId, h.column));
      }
    });

    it('is a public read: any origin may fetch it (CORS) and its preflight is allowed', async () => {
      const res = await app.request(`/deals/${stored.fileId}/holders`, { headers: { origin: 'https://elsewhere.example' } });
      expect(res.headers.get('access-control-allow-origin')).to.equal('*');
      const preflight = await app.request(`/deals/${stored.fileId}/holders`, {
        method: 'OPTIONS',
        headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'GET' },
      });
      expect(preflight.status).to.equal(204);
      expect(preflight.headers.get('access-control-allow-origin')).to.equal('*');
    });

    it('answers 404 DEAL_NOT_FOUND for a deal the chain does not know', async () => {
      const res = await app.request(`/deals/0x${randomBytes(32).toString('hex')}/holders`);
      expect(res.status).to.equal(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('DEAL_NOT_FOUND');
    });

    it('answers 400 INVALID_INPUT for a malformed deal id', async () => {
      for (const id of ['0x1234', `0x${'AB'.repeat(32)}`, 'nothex']) {
        const res = await app.request(`/deals/${id}/holders`);
        expect(res.status, id).to.equal(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('INVALID_INPUT');
      }
    });
  });

  describe('caching', () => {
    const dealId = parseFileId(`0x${'11'.repeat(32)}`);
    const peer = `0x${'22'.repeat(20)}` as const;
    /** A chain with one 2-slot deal, both slots filled by one peer, counting the reads. */
    const fakeChain = () => {
      const calls: string[] = [];
      const publicClient = {
        readContract: async (p: { functionName: string; args?: readonly unknown[] }) => {
          calls.push(p.functionName);
          if (p.functionName === 'deal') return { owner: peer, slots: 2n };
          if (p.functionName === 'slot') return { dealId, column: calls.filter((c) => c === 'slot').length - 1, peer, state: 1 };
          if (p.functionName === 'peer') return { endpoint: 'https://peer.example' };
          throw new Error(`unexpected ${p.functionName}`);
        },
      };
      return { calls, publicClient: publicClient as unknown as Parameters<typeof createChainHolders>[0]['publicClient'] };
    };

    it('reads the chain once per deal within the cache time, again after it, and asks a peer’s endpoint once per round', async () => {
      const { calls, publicClient } = fakeChain();
      let clock = 1_000;
      const source = createChainHolders({ publicClient, now: () => clock }, { market: peer, registry: peer, ttlMs: 5_000 });
      const [a, b] = await Promise.all([source.holders(dealId), source.holders(dealId)]);
      expect(a).to.deep.equal(b);
      expect(a?.map((h) => h.endpoint)).to.deep.equal(['https://peer.example', 'https://peer.example']);
      expect(calls).to.deep.equal(['deal', 'slot', 'slot', 'peer']);
      clock += 4_999;
      await source.holders(dealId);
      expect(calls).to.have.length(4);
      clock += 1;
      await source.holders(dealId);
      expect(calls).to.have.length(8);
    });
  });
});
