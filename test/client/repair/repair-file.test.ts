import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { time } from '@nomicfoundation/hardhat-network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import type { privateKeyToAccount } from 'viem/accounts';
import { bytesSource, chainPeerSource, download, masterFromPrivateKey, memoryExperience, type PeerSource, upload } from '../../../client';
import { selfIssuedAccess } from '../../../client/access/self-issued-access';
import { readFileHealth } from '../../../client/file-health';
import { RepairIntegrityError, ReplicatedRepairUnsupportedError } from '../../../client/repair/errors';
import { repairFile } from '../../../client/repair/repair-file';
import { getHoldings } from '../../../client/transport/get-holdings';
import { getShard } from '../../../client/transport/get-shard';
import { uploadBatch } from '../../../client/upload-batch';
import { peerRegistryAbi, rewardTokenAbi } from '../../../protocol/chain/generated/abis';
import { readDeal, readSlot, SLOT_STATE } from '../../../protocol/chain/market';
import { MANIFEST_INDEX } from '../../../protocol/column';
import { slotIdOf } from '../../../protocol/ids';
import { startTestNetwork, type TestNetwork } from '../../../scripts/testkit/network';

const CHUNK = 16 * 1024;
const rs42 = { scheme: 'rs', dataShards: 4, parityShards: 2 } as const;
const DAY = 86_400;

describe('client/repair/repair-file: rebuilding lost Reed-Solomon columns onto new peers, without the file key', () => {
  let net: TestNetwork;
  let peers: PeerSource;
  let account: ReturnType<typeof privateKeyToAccount>;
  let master: Uint8Array;
  let marketplace: ReturnType<TestNetwork['marketplaceFor']>;

  // A fresh network per test: a peer whose slot was freed for a lapsed heartbeat loses its collateral
  // and drops under the minimum stake, so the next test would have fewer spares.
  beforeEach(async () => {
    // A long heartbeat timeout keeps the running peers active across the day-long jumps of chain
    // time below; the stopped peer still lapses for the market (lapseFreeSeconds, one day). No
    // challenges: the jumps would count missed proofs against every peer, which is not this test's subject.
    net = await startTestNetwork(hre, {
      peers: 8,
      deployParams: { heartbeatTimeout: BigInt(30 * DAY), evictionDelay: BigInt(60 * DAY), challengeProbabilityPpm: 0n },
    });
    const user = await net.user();
    account = user.account;
    master = masterFromPrivateKey(user.key);
    marketplace = net.marketplaceFor(account);
    peers = chainPeerSource({ publicClient: marketplace.publicClient, registry: marketplace.registry });
  });
  afterEach(async () => {
    await net?.close();
  });

  const deps = () => ({ account, chainId: net.chainId, ...marketplace, peers, experience: memoryExperience() });
  const put = (bytes: Uint8Array, redundancy: Parameters<typeof upload>[1]['redundancy'] = rs42) =>
    upload(
      { account, chainId: net.chainId, master, peers, marketplace },
      { source: bytesSource(bytes), name: 'repair.bin', chunkSize: CHUNK, redundancy, pollIntervalMs: 100 },
    );
  const get = async (handle: string) => {
    const parts: Uint8Array[] = [];
    for await (const part of download({ peers, marketplace, account }, { handle })) parts.push(part);
    return Buffer.concat(parts);
  };
  const putBatch = (contents: Uint8Array[], redundancy: Parameters<typeof uploadBatch>[1]['redundancy'] = rs42) =>
    uploadBatch(
      { account, chainId: net.chainId, master, peers, marketplace },
      { files: contents.map((bytes, i) => ({ source: bytesSource(bytes), name: `batch-${i}.bin` })), chunkSize: CHUNK, redundancy, pollIntervalMs: 100 },
    );
  const holderOf = (stored: Pick<Awaited<ReturnType<typeof put>>, 'columns'>, column: number) => {
    const c = stored.columns[column];
    const peer = net.peers.find((p) => p.address.toLowerCase() === c.operator.toLowerCase());
    if (!peer) throw new Error(`no test peer holds column ${column}`);
    return { column: c, peer };
  };
  const health = (stored: Awaited<ReturnType<typeof put>>) =>
    readFileHealth(marketplace, {
      market: marketplace.market,
      registry: marketplace.registry,
      fileId: stored.fileId,
      dataColumns: 4,
      stripes: Math.ceil(stored.chunkCount / 4),
      timeoutMs: 2_000,
    });
  const tokenBalance = (address: `0x${string}`) =>
    marketplace.publicClient.readContract({ address: marketplace.token, abi: rewardTokenAbi, functionName: 'balanceOf', args: [address] });
  /** Restarts a peer so that it sends a heartbeat now; waits (a bounded number of reads) until the chain has it. */
  const freshHeartbeat = async (index: number) => {
    const p = net.peers[index];
    const last = async () =>
      (await marketplace.publicClient.readContract({ address: marketplace.registry, abi: peerRegistryAbi, functionName: 'peer', args: [p.address] }))
        .lastHeartbeat;
    const before = await last();
    await net.stopPeer(index);
    await net.restartPeer(index);
    for (let attempt = 0; attempt < 200 && (await last()) === before; attempt++) await new Promise((r) => setTimeout(r, 50));
    expect(await last()).to.be.greaterThan(before);
  };

  describe('when one holder is gone for good and its heartbeat has lapsed', () => {
    it('frees its slot, rebuilds the column on a peer that held none of the file, which fills it and takes the repair fund', async () => {
      const bytes = randomBytes(9 * CHUNK + 5);
      const stored = await put(bytes);
      const lost = holderOf(stored, 2);
      const lostSlot = await readSlot(marketplace, { market: marketplace.market, slotId: slotIdOf(stored.fileId, 2) });
      await net.stopPeer(lost.peer.index);
      await time.increase(DAY + 1);
      const operators = stored.columns.map((c) => c.operator.toLowerCase());
      const balances = new Map(await Promise.all(net.peers.map(async (p) => [p.address.toLowerCase(), await tokenBalance(p.address)] as const)));
      const phases = new Set<string>();

      const report = await repairFile(deps(), { fileId: stored.fileId, pollIntervalMs: 100, onProgress: (p) => phases.add(p.phase) });

      expect(report.before.minHealthy).to.equal(5);
      expect(report.before.perColumn[2].state).to.be.oneOf(['unreachable', 'inactive', 'unfilled']);
      expect(report.waiting).to.deep.equal([]);
      expect(report.rebuilt.map((r) => r.column)).to.deep.equal([2]);
      const newPeer = report.rebuilt[0].peer.toLowerCase();
      expect(operators).to.not.include(newPeer);
      const slot = await readSlot(marketplace, { market: marketplace.market, slotId: slotIdOf(stored.fileId, 2) });
      expect(slot.state).to.equal(SLOT_STATE.Filled);
      expect(slot.peer.toLowerCase()).to.equal(newPeer);
      expect(report.after?.minHealthy).to.equal(6);
      expect((await health(stored)).minHealthy).to.equal(6);
      expect([...phases]).to.include.members(['repair-fetch', 'repair-fill']);
      // The freed slot's collateral went to the repair fund, and from there to the refilling peer.
      expect(lostSlot.collateral).to.be.greaterThan(0n);
      expect((await readDeal(marketplace, { market: marketplace.market, dealId: stored.fileId }))?.repairFund).to.equal(0n);
      // Fresh network, no challenges: the refiller holds nothing else and claims nothing, so its gain is the fund exactly.
      expect((await tokenBalance(slot.peer)) - (balances.get(newPeer) ?? 0n)).to.equal(lostSlot.collateral);
      // The repair read about k columns' worth (one column per rebuilt column per data shard), never the whole file twice.
      const shardSize = CHUNK + 16;
      const stripes = Math.ceil(stored.chunkCount / 4);
      expect(report.fetchedBytes).to.be.at.least(4 * stripes * shardSize);
      expect(report.fetchedBytes).to.be.below(4 * stripes * shardSize + 5 * 64 * 1024);
      console.log(`      repair of one RS(4,2) column: fetched ${report.fetchedBytes} bytes, sent ${report.sentBytes}, file ${bytes.length} bytes`);
      expect(Buffer.compare(await get(stored.handle), bytes)).to.equal(0);
    });
  });

  describe('when two holders are gone for good', () => {
    it('rebuilds both columns, each on its own new peer', async () => {
      const bytes = randomBytes(6 * CHUNK + 100);
      const stored = await put(bytes);
      const operators = stored.columns.map((c) => c.operator.toLowerCase());
      for (const c of [0, 5]) await net.stopPeer(holderOf(stored, c).peer.index);
      await time.increase(DAY + 1);

      const report = await repairFile(deps(), { fileId: stored.fileId, pollIntervalMs: 100 });

      expect(report.rebuilt.map((r) => r.column)).to.deep.equal([0, 5]);
      const fresh = report.rebuilt.map((r) => r.peer.toLowerCase());
      expect(new Set(fresh).size).to.equal(2);
      for (const p of fresh) expect(operators).to.not.include(p);
      expect(report.after?.minHealthy).to.equal(6);
      expect(Buffer.compare(await get(stored.handle), bytes)).to.equal(0);
    });
  });

  describe('when every column is healthy', () => {
    it('returns a report without work', async () => {
      const stored = await put(randomBytes(3 * CHUNK));
      const report = await repairFile(deps(), { fileId: stored.fileId });
      expect(report.before.minHealthy).to.equal(6);
      expect(report).to.deep.include({ rebuilt: [], waiting: [], freed: [], fetchedBytes: 0, sentBytes: 0 });
      expect(report.after).to.equal(undefined);
    });
  });

  describe('when a holder is down but its heartbeat has not lapsed yet', () => {
    it('reports the column as waiting and sends nothing to any peer', async () => {
      const stored = await put(randomBytes(5 * CHUNK));
      const down = holderOf(stored, 1);
      await freshHeartbeat(down.peer.index);
      await net.stopPeer(down.peer.index);

      const report = await repairFile(deps(), { fileId: stored.fileId });

      expect(report.rebuilt).to.deep.equal([]);
      expect(report.freed).to.deep.equal([]);
      expect(report.waiting.map((w) => w.column)).to.deep.equal([1]);
      expect(report.waiting[0].reason).to.match(/heartbeat has lapsed/);
      const slot = await readSlot(marketplace, { market: marketplace.market, slotId: slotIdOf(stored.fileId, 1) });
      expect(slot.state).to.equal(SLOT_STATE.Filled);
      expect(slot.peer.toLowerCase()).to.equal(down.column.operator.toLowerCase());
      const holders = stored.columns.map((c) => c.operator.toLowerCase());
      for (const p of net.peers.filter((x) => x.node && !holders.includes(x.address.toLowerCase()))) {
        const { holdings } = await getHoldings({}, { endpoint: p.node?.url as string, fileId: stored.fileId });
        expect(holdings.slots, `peer ${p.index} holds nothing of the file`).to.deep.equal([]);
      }
    });
  });

  describe('when the file is replicated', () => {
    it('refuses with ReplicatedRepairUnsupportedError', async () => {
      const stored = await put(randomBytes(2 * CHUNK), { scheme: 'replicate', replicas: 3 });
      const err = await repairFile(deps(), { fileId: stored.fileId }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ReplicatedRepairUnsupportedError);
    });
  });

  describe('when the deal is a Reed-Solomon batch and one holder is gone for good', () => {
    it('rebuilds the column from the clear batch header alone: stripes by Reed-Solomon, file manifests and header copied; every file reads back', async () => {
      const contents = [0, 1, 40 * 1024].map((size) => randomBytes(size));
      const batch = await putBatch(contents);
      // Stripes: none for the empty file, one each for the others; then the three manifests, then the header.
      const stripes = batch.files.reduce((s, f) => s + Math.ceil(f.chunkCount / 4), 0);
      expect(stripes).to.equal(2);
      expect(batch.files.map((f) => f.manifestIndex)).to.deep.equal([2, 3, 4]);
      const operators = batch.columns.map((c) => c.operator.toLowerCase());
      await net.stopPeer(holderOf(batch, 3).peer.index);
      await time.increase(DAY + 1);

      const report = await repairFile(deps(), { fileId: batch.dealId, pollIntervalMs: 100 });

      expect(report.before).to.deep.include({ stripes, minHealthy: 5 });
      expect(report.freed).to.deep.equal([3]);
      expect(report.waiting).to.deep.equal([]);
      expect(report.rebuilt.map((r) => r.column)).to.deep.equal([3]);
      const { peer: newPeer, endpoint } = report.rebuilt[0];
      expect(operators).to.not.include(newPeer.toLowerCase());
      const slot = await readSlot(marketplace, { market: marketplace.market, slotId: slotIdOf(batch.dealId, 3) });
      expect(slot.state).to.equal(SLOT_STATE.Filled);
      expect(slot.peer.toLowerCase()).to.equal(newPeer.toLowerCase());
      expect(report.after?.minHealthy).to.equal(6);
      const after = await readFileHealth(marketplace, {
        market: marketplace.market,
        registry: marketplace.registry,
        fileId: batch.dealId,
        dataColumns: 4,
        stripes,
        timeoutMs: 2_000,
      });
      expect(after.minHealthy).to.equal(6);
      // The copied tail is byte for byte what every column holds: the files' manifests, then the batch header.
      for (const index of [2, 3, 4, MANIFEST_INDEX] as const) {
        const access = await selfIssuedAccess({ account }, { chainId: net.chainId, market: marketplace.market, dealId: batch.dealId });
        const rebuilt = await getShard({ access }, { endpoint, fileId: batch.dealId, column: 3, index });
        const original = await getShard({ access }, { endpoint: batch.columns[0].endpoint, fileId: batch.dealId, column: 0, index });
        expect(Buffer.compare(rebuilt, original)).to.equal(0, `index ${index}`);
      }
      // Every file through its own handle, with the lost holder still stopped and two more stopped: each stripe needs the rebuilt column.
      for (const c of [0, 1]) await net.stopPeer(holderOf(batch, c).peer.index);
      for (const [i, f] of batch.files.entries()) {
        expect(Buffer.compare(await get(f.handle), contents[i])).to.equal(0, `file ${i} (${contents[i].length} bytes)`);
      }
    });

    it('refuses a replicated batch with ReplicatedRepairUnsupportedError', async () => {
      const batch = await putBatch([randomBytes(1), randomBytes(CHUNK + 1)], { scheme: 'replicate', replicas: 3 });
      const err = await repairFile(deps(), { fileId: batch.dealId }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ReplicatedRepairUnsupportedError);
      expect((err as ReplicatedRepairUnsupportedError).message).to.match(/replicated batch/);
    });
  });

  describe('when a source serves a corrupted shard', () => {
    const corrupt = (stored: Awaited<ReturnType<typeof put>>, column: number, index: number) => {
      const { column: c, peer } = holderOf(stored, column);
      const file = path.join(peer.dataDir, 'slots', c.slotId.slice(2, 4), c.slotId, String(index));
      const data = fs.readFileSync(file);
      data[33] ^= 0x40;
      fs.writeFileSync(file, data);
    };

    it('with exactly k sources left: RepairIntegrityError naming the source, and nothing committed or filled', async () => {
      const stored = await put(randomBytes(8 * CHUNK));
      for (const c of [0, 1]) await net.stopPeer(holderOf(stored, c).peer.index);
      corrupt(stored, 3, 1);
      await time.increase(DAY + 1);

      const err = await repairFile(deps(), { fileId: stored.fileId, pollIntervalMs: 100 }).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(err).to.be.instanceOf(RepairIntegrityError);
      expect((err as RepairIntegrityError).badColumns).to.deep.equal([3]);
      for (const c of [0, 1]) {
        const slot = await readSlot(marketplace, { market: marketplace.market, slotId: slotIdOf(stored.fileId, c) });
        expect(slot.state, `column ${c}`).to.not.equal(SLOT_STATE.Filled);
      }
      // No peer got a commit notice for the lost columns.
      for (const p of net.peers.filter((x) => x.node)) {
        for (const c of [0, 1]) {
          const res = await fetch(`${p.node?.url}/slots/${slotIdOf(stored.fileId, c)}/commit`);
          expect(res.status, `peer ${p.index}, column ${c}`).to.equal(404);
        }
      }
    });

    it('with a spare source: repairs from the others (or refuses), never fills with wrong bytes', async () => {
      const bytes = randomBytes(8 * CHUNK);
      const stored = await put(bytes);
      await net.stopPeer(holderOf(stored, 4).peer.index);
      corrupt(stored, 0, 1);
      await time.increase(DAY + 1);

      const outcome = await repairFile(deps(), { fileId: stored.fileId, pollIntervalMs: 100 }).then(
        (report) => ({ report }),
        (err: unknown) => ({ err }),
      );

      const slot = await readSlot(marketplace, { market: marketplace.market, slotId: slotIdOf(stored.fileId, 4) });
      if ('err' in outcome) {
        expect(outcome.err).to.be.instanceOf(RepairIntegrityError);
        expect(slot.state).to.not.equal(SLOT_STATE.Filled);
      } else {
        expect(outcome.report.rebuilt.map((r) => r.column)).to.deep.equal([4]);
        expect(slot.state).to.equal(SLOT_STATE.Filled);
        // The rebuilt column itself is intact: read the file with column 0 (the corrupted one) and one more column stopped.
        await net.stopPeer(holderOf(stored, 1).peer.index);
        expect(Buffer.compare(await get(stored.handle), bytes)).to.equal(0);
      }
    });
  });
});
