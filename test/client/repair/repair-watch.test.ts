import { randomBytes } from 'node:crypto';
import { time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { bytesSource, chainPeerSource, masterFromPrivateKey, upload } from '../../../client';
import type { RepairReport } from '../../../client/repair/repair-file';
import { watchRepairs } from '../../../client/repair/repair-watch';
import { readSlot, SLOT_STATE } from '../../../protocol/chain/market';
import { slotIdOf } from '../../../protocol/ids';
import { startTestNetwork, type TestNetwork } from '../../../scripts/testkit/network';

const DAY = 86_400;

describe('client/repair/repair-watch: a loop that keeps files repaired', () => {
  let net: TestNetwork;
  before(async () => {
    net = await startTestNetwork(hre, {
      peers: 8,
      deployParams: { heartbeatTimeout: BigInt(30 * DAY), evictionDelay: BigInt(60 * DAY), challengeProbabilityPpm: 0n },
    });
  });
  after(async () => {
    await net?.close();
  });

  it('repairs a file within a few rounds after its holder is stopped and lapsed, logging instead of throwing', async () => {
    const user = await net.user();
    const marketplace = net.marketplaceFor(user.account);
    const peers = chainPeerSource({ publicClient: marketplace.publicClient, registry: marketplace.registry });
    const stored = await upload(
      { account: user.account, chainId: net.chainId, master: masterFromPrivateKey(user.key), peers, marketplace },
      { source: bytesSource(randomBytes(5 * 16 * 1024)), name: 'w.bin', chunkSize: 16 * 1024, redundancy: { scheme: 'rs', dataShards: 4, parityShards: 2 } },
    );
    const lost = net.peers.find((p) => p.address.toLowerCase() === stored.columns[3].operator.toLowerCase());
    await net.stopPeer(lost?.index as number);
    await time.increase(DAY + 1);

    const stop = new AbortController();
    const reports: RepairReport[] = [];
    const lines: string[] = [];
    const missing = `0x${'ab'.repeat(32)}` as typeof stored.fileId; // no deal: an error each round, logged
    await watchRepairs(
      { account: user.account, chainId: net.chainId, ...marketplace, peers },
      {
        fileIds: () => [missing, stored.fileId],
        intervalMs: 50,
        pollIntervalMs: 100,
        maxRounds: 4,
        signal: stop.signal,
        log: (line) => lines.push(line),
        onReport: (r) => {
          reports.push(r);
          if (r.rebuilt.length > 0) stop.abort();
        },
      },
    );

    const repaired = reports.find((r) => r.rebuilt.length > 0);
    expect(repaired?.rebuilt.map((r) => r.column)).to.deep.equal([3]);
    expect(repaired?.after?.minHealthy).to.equal(6);
    const slot = await readSlot(marketplace, { market: marketplace.market, slotId: slotIdOf(stored.fileId, 3) });
    expect(slot.state).to.equal(SLOT_STATE.Filled);
    expect(slot.peer.toLowerCase()).to.not.equal(lost?.address.toLowerCase());
    expect(lines.some((l) => l.includes(`repair of ${missing} failed`))).to.equal(true);
  });

  it('stops at once when its signal is already aborted', async () => {
    const user = await net.user();
    const marketplace = net.marketplaceFor(user.account);
    const peers = chainPeerSource({ publicClient: marketplace.publicClient, registry: marketplace.registry });
    let asked = 0;
    await watchRepairs(
      { account: user.account, chainId: net.chainId, ...marketplace, peers },
      {
        fileIds: () => {
          asked++;
          return [];
        },
        intervalMs: 10,
        signal: AbortSignal.abort(),
        log: () => {},
      },
    );
    expect(asked).to.equal(0);
  });
});
