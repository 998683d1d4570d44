import { expect } from 'chai';
import hre from 'hardhat';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { PeerRequestError } from '../../../client/errors';
import { getStatus } from '../../../client/transport/get-status';
import { fetchRequester } from '../../../client/transport/http-requester';
import { createNodeApp } from '../../../node/app';
import { type NodeStore, openNodeStore } from '../../../node/store/open-node-store';
import { SignatureError } from '../../../protocol/errors';
import { type StatusSigner, verifyStatus } from '../../../protocol/status-signing';
import { nodeStatusSchema } from '../../../protocol/wire';
import { chainDealDeps, type MarketChain, startMarketChain } from '../../../scripts/testkit/node/market-chain';
import { scratchDir } from '../../../scripts/testkit/node/shard-requests';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('GET /status signed by the operator key', () => {
  const operator = privateKeyToAccount(generatePrivateKey());
  const impostor = privateKeyToAccount(generatePrivateKey());
  let chain: MarketChain;
  let dir: Awaited<ReturnType<typeof scratchDir>>;
  let nodeStore: NodeStore;
  let clock: number;
  let signatures: number;

  /** The operator key, counting its signatures. */
  const counting = (account: StatusSigner): StatusSigner => ({
    address: account.address,
    signMessage: (args) => {
      signatures++;
      return account.signMessage(args);
    },
  });
  /** A node app; `key` signs its status (another key plays a node started with the wrong key; null: a node that does not sign). */
  const appWith = (key: StatusSigner | null = counting(operator), address = operator.address) =>
    createNodeApp({
      ...nodeStore,
      identity: { address, chainId: 31337 },
      limits: { capacityBytes: 10_000, maxShardBytes: 4096 },
      now: () => clock,
      startedAt: clock - 5_000,
      signer: key ?? undefined,
      ...chainDealDeps(chain),
    });
  /** A client requester that reaches the app without a port. */
  const through = (app: ReturnType<typeof appWith>) => fetchRequester(((input: string, init?: RequestInit) => app.request(input, init)) as typeof fetch);

  before(async () => {
    chain = await startMarketChain(hre);
  });
  after(async () => {
    await chain.close();
  });
  beforeEach(async () => {
    dir = await scratchDir();
    nodeStore = await openNodeStore({ dataDir: dir.path });
    clock = 1_700_000_000_000;
    signatures = 0;
  });
  afterEach(async () => {
    nodeStore.close();
    await dir.remove();
  });

  it('carries signedAt and a signature that verifies for the operator, its chain and now', async () => {
    const status = nodeStatusSchema.parse(await (await appWith().request('/status')).json());
    expect(status.signedAt).to.equal(clock / 1000);
    expect(status).to.include({ address: operator.address, chainId: 31337, uptimeSeconds: 5 });
    await verifyStatus({ status, expectedSigner: operator.address, chainId: 31337, nowSeconds: clock / 1000 });
  });

  it('does not verify once a field is changed, for another signer or another chain', async () => {
    const status = nodeStatusSchema.parse(await (await appWith().request('/status')).json());
    for (const attempt of [
      { status: { ...status, usedBytes: 1 }, expectedSigner: operator.address },
      { status, expectedSigner: impostor.address },
      { status, expectedSigner: operator.address, chainId: 1 },
    ]) {
      const err = await rejection(verifyStatus({ nowSeconds: clock / 1000, ...attempt }));
      expect(err).to.be.instanceOf(SignatureError);
      expect((err as SignatureError).code).to.equal('BAD_SIGNATURE');
    }
  });

  it('signs at most once a second, however many ask', async () => {
    const app = appWith();
    const first = await Promise.all(Array.from({ length: 20 }, () => Promise.resolve(app.request('/status')).then((r) => r.json())));
    clock += 999;
    const stillCached = await (await app.request('/status')).json();
    expect(signatures).to.equal(1);
    expect(new Set([...first, stillCached].map((b) => (b as { signature: string }).signature)).size).to.equal(1);
    clock += 1;
    const fresh = nodeStatusSchema.parse(await (await app.request('/status')).json());
    expect(signatures).to.equal(2);
    expect(fresh.signedAt).to.equal(Math.floor(clock / 1000));
  });

  describe('as the client probes it', () => {
    it('passes getStatus with the operator as expected signer', async () => {
      const { status } = await getStatus(
        { request: through(appWith()), clock: () => clock },
        { endpoint: 'http://node', expectedSigner: operator.address, chainId: 31337 },
      );
      expect(status.address).to.equal(operator.address);
    });

    it('fails with STATUS_SIGNATURE_INVALID when the node runs with another key', async () => {
      const err = await rejection(
        getStatus({ request: through(appWith(impostor, impostor.address)), clock: () => clock }, { endpoint: 'http://node', expectedSigner: operator.address }),
      );
      expect(err).to.be.instanceOf(PeerRequestError);
      expect((err as PeerRequestError).peerCode).to.equal('STATUS_SIGNATURE_INVALID');
    });

    it('fails with STATUS_SIGNATURE_INVALID when the node does not sign, or its clock is 10 minutes behind', async () => {
      for (const [app, clientClock] of [
        [appWith(null), clock],
        [appWith(), clock + 600_000],
      ] as const) {
        const err = await rejection(
          getStatus({ request: through(app), clock: () => clientClock }, { endpoint: 'http://node', expectedSigner: operator.address }),
        );
        expect((err as PeerRequestError).peerCode).to.equal('STATUS_SIGNATURE_INVALID');
      }
    });
  });
});
