import { randomBytes } from 'node:crypto';
import { time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { bytesSource, chainPeerSource, download, masterFromPrivateKey, type PeerSource, upload } from '../../../client';
import { createShareLink } from '../../../client/access/create-share-link';
import { revokeTokens } from '../../../client/access/revoke-tokens';
import { setDelegate } from '../../../client/access/set-delegate';
import { PeerRequestError, ReadAccessError } from '../../../client/errors';
import { repairFile } from '../../../client/repair/repair-file';
import { parseLink } from '../../../client/share-link';
import { getShard } from '../../../client/transport/get-shard';
import { readDelegation } from '../../../protocol/chain/market';
import { PERMISSION } from '../../../protocol/retrieval-token';
import { startTestNetwork, type TestNetwork } from '../../../scripts/testkit/network';
import { eventually } from '../../../scripts/testkit/node/market-chain';

const CHUNK = 16 * 1024;
const rs42 = { scheme: 'rs', dataShards: 4, parityShards: 2 } as const;
const DAY = 86_400;

describe('client/access: share links, revocation and delegates against real nodes', () => {
  let net: TestNetwork;
  let peers: PeerSource;
  let owner: ReturnType<typeof privateKeyToAccount>;
  let master: Uint8Array;
  let marketplace: ReturnType<TestNetwork['marketplaceFor']>;
  const friend = privateKeyToAccount(generatePrivateKey());
  const stranger = privateKeyToAccount(generatePrivateKey());

  before(async () => {
    net = await startTestNetwork(hre, {
      peers: 8,
      deployParams: { heartbeatTimeout: BigInt(30 * DAY), evictionDelay: BigInt(60 * DAY), challengeProbabilityPpm: 0n },
    });
    const user = await net.user();
    owner = user.account;
    master = masterFromPrivateKey(user.key);
    marketplace = net.marketplaceFor(owner);
    peers = chainPeerSource({ publicClient: marketplace.publicClient, registry: marketplace.registry });
  });
  after(async () => {
    await net?.close();
  });

  const put = (bytes: Uint8Array) =>
    upload(
      { account: owner, chainId: net.chainId, master, peers, marketplace },
      { source: bytesSource(bytes), name: 'shared.bin', chunkSize: CHUNK, redundancy: rs42, pollIntervalMs: 100 },
    );
  const get = async (handle: string, account?: typeof owner) => {
    const parts: Uint8Array[] = [];
    for await (const part of download({ peers, marketplace, account }, { handle })) parts.push(part);
    return Buffer.concat(parts);
  };
  const share = (handle: string, p: { expiresInSeconds?: number; grantee?: `0x${string}`; columns?: number[]; now?: () => number } = {}) =>
    createShareLink(
      { account: owner, publicClient: marketplace.publicClient, now: p.now },
      { chainId: net.chainId, market: marketplace.market, handle, expiresInSeconds: p.expiresInSeconds ?? 3_600, grantee: p.grantee, columns: p.columns },
    );
  /** The code a node answers for a read of column 0's manifest with the link's token alone. */
  const refusalOf = async (link: string, stored: Awaited<ReturnType<typeof put>>) => {
    const { tokenText } = parseLink(link);
    const c = stored.columns[0];
    const err = await getShard(
      { access: { token: tokenText ?? '', chainId: net.chainId } },
      { endpoint: c.endpoint, fileId: stored.fileId, column: 0, index: 'manifest' },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    return err instanceof PeerRequestError ? `${err.details.status} ${err.details.peerCode}` : 'served';
  };

  it('a recipient with no key at all downloads a bearer share link byte for byte; the key stays in the fragment', async () => {
    const bytes = randomBytes(5 * CHUNK + 3);
    const stored = await put(bytes);
    const { link, token } = await share(stored.handle);
    const [beforeFragment, fragment] = link.split('#');
    expect(beforeFragment).to.contain('?t=');
    expect(`#${fragment}`).to.equal(stored.handle.slice(stored.handle.indexOf('#')));
    expect(token.grantee).to.equal('0x0000000000000000000000000000000000000000');
    expect((await get(link)).equals(bytes)).to.equal(true);
  });

  it('without a link, a stranger is refused before any peer is asked (NO_READ_ACCESS), the owner reads', async () => {
    const bytes = randomBytes(CHUNK);
    const stored = await put(bytes);
    await expect(get(stored.handle, stranger)).to.be.rejectedWith(ReadAccessError, /share link/);
    expect((await get(stored.handle, owner)).equals(bytes)).to.equal(true);
  });

  it('a link for a grantee works for that account only: others are refused by the client and, without its signature, by the nodes', async () => {
    const bytes = randomBytes(3 * CHUNK);
    const stored = await put(bytes);
    const { link } = await share(stored.handle, { grantee: friend.address });
    expect((await get(link, friend)).equals(bytes)).to.equal(true);
    await expect(get(link, stranger)).to.be.rejectedWith(ReadAccessError, /download it with that account/);
    expect(await refusalOf(link, stored)).to.equal('403 TOKEN_GRANTEE_MISMATCH');
  });

  it('after expiry or revocation, the nodes answer 403 with the reason', async () => {
    const stored = await put(randomBytes(CHUNK));
    const expired = await share(stored.handle, { expiresInSeconds: 60, now: () => Date.now() - 3_600_000 });
    expect(await refusalOf(expired.link, stored)).to.equal('403 TOKEN_EXPIRED');
    await expect(get(expired.link)).to.be.rejectedWith(/TOKEN_EXPIRED|token has expired/);

    const revoked = await share(stored.handle);
    const kept = await share(stored.handle);
    expect(await refusalOf(revoked.link, stored)).to.equal('served');
    await revokeTokens(marketplace, { dealId: stored.fileId, nonce: revoked.token.nonce });
    // Nodes cache chain reads for a few seconds.
    await eventually('the revocation reaches the node', async () => ((await refusalOf(revoked.link, stored)) === '403 TOKEN_REVOKED' ? true : undefined), {
      everyMs: 250,
      attempts: 40,
    });
    expect(await refusalOf(kept.link, stored)).to.equal('served');

    await revokeTokens(marketplace, { dealId: stored.fileId, all: true });
    await eventually('the revoke-all reaches the node', async () => ((await refusalOf(kept.link, stored)) === '403 TOKEN_REVOKED' ? true : undefined), {
      everyMs: 250,
      attempts: 40,
    });
    // A link made after the revoke-all works.
    expect(await refusalOf((await share(stored.handle)).link, stored)).to.equal('served');
  });

  it('a link for some columns opens those columns only', async () => {
    const stored = await put(randomBytes(CHUNK));
    const { link } = await share(stored.handle, { columns: [1, 2] });
    expect(await refusalOf(link, stored)).to.equal('403 TOKEN_WRONG_COLUMN');
  });

  it('a repair delegate rebuilds a lost column with its own key, never the file key; withdrawn, it is refused', async () => {
    const repairer = (await net.user(18)).account;
    const bytes = randomBytes(9 * CHUNK + 5);
    const stored = await put(bytes);
    await setDelegate(marketplace, { delegate: repairer.address, permissions: PERMISSION.repair });
    expect(await readDelegation(marketplace, { market: marketplace.market, owner: owner.address, delegate: repairer.address })).to.equal(PERMISSION.repair);
    const lost = net.peers.findIndex((p) => p.address.toLowerCase() === stored.columns[1].operator.toLowerCase());
    await net.stopPeer(lost);
    await time.increase(DAY + 1);
    const repairerMarket = net.marketplaceFor(repairer);
    const deps = { account: repairer, chainId: net.chainId, ...repairerMarket, peers };
    const report = await repairFile(deps, { fileId: stored.fileId, pollIntervalMs: 100 });
    expect(report.rebuilt.map((r) => r.column)).to.deep.equal([1]);
    expect(report.after?.minHealthy).to.equal(6);
    // The owner reads the file with the original holder still gone, through the rebuilt column.
    await net.stopPeer(net.peers.findIndex((p) => p.address.toLowerCase() === stored.columns[0].operator.toLowerCase()));
    expect((await get(stored.handle, owner)).equals(bytes)).to.equal(true);

    await setDelegate(marketplace, { delegate: repairer.address, permissions: 0 });
    await expect(repairFile(deps, { fileId: stored.fileId, pollIntervalMs: 100, threshold: 6 })).to.be.rejectedWith(/repair delegate/);
  });
});
