import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { mine, time } from '@nomicfoundation/hardhat-network-helpers';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import hre from 'hardhat';
import { type Address, createWalletClient, type Hex, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { fundAccounts } from '../../cli/devnet/fund';
import { chainPeerSource, fileSource, masterFromPrivateKey, PeerRequestError, upload } from '../../client';
import { selfIssuedAccess } from '../../client/access/self-issued-access';
import { getHoldings } from '../../client/transport/get-holdings';
import { getShard } from '../../client/transport/get-shard';
import { connectChain } from '../../protocol/chain/connect';
import { marketAbi, readSlot, SLOT_STATE } from '../../protocol/chain/market';
import { MANIFEST_INDEX, type ShardIndex } from '../../protocol/column';
import { type FileId, slotIdOf } from '../../protocol/ids';
import { hardhatKey } from '../../scripts/testkit/chain';
import { eventually } from '../../scripts/testkit/node/market-chain';
import { type ProcessNetwork, startProcessNetwork } from '../../scripts/testkit/process-network';

const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'cli', 'bin', 'dhost.js');
const run = promisify(execFile);
const CHUNK = 64 * 1024;
/** Deal B: 192 chunks of 64 KiB, four copies (one per peer). */
const CHUNK_B = 64 * 1024;
const SIZE_B = 192 * CHUNK_B - 77;
/** Shards of B the crashing peer holds when it is killed. */
const HELD_AT_KILL = 40;
const COLUMNS_B = 4;

type Ledger = { bytesHeld: bigint; epochsProven: bigint; proofsMissed: bigint; earned: bigint; subsidy: bigint };
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * What a data folder holds, read straight from disk and from the SQLite index (without the
 * start-up recovery that opening the store would run): index rows, shard files, temporary files.
 */
function readDataDir(dataDir: string) {
  const db = new Database(path.join(dataDir, 'index.sqlite'), { readonly: true, fileMustExist: true });
  const rows = db.prepare('SELECT slot_id AS slotId, idx, size, sha256 FROM shards').all() as { slotId: string; idx: number; size: number; sha256: string }[];
  db.close();
  const files = new Map<string, Buffer>();
  const slotsDir = path.join(dataDir, 'slots');
  for (const prefix of fs.existsSync(slotsDir) ? fs.readdirSync(slotsDir) : []) {
    for (const slot of fs.readdirSync(path.join(slotsDir, prefix))) {
      for (const name of fs.readdirSync(path.join(slotsDir, prefix, slot)))
        files.set(`${slot}/${name}`, fs.readFileSync(path.join(slotsDir, prefix, slot, name)));
    }
  }
  const tmp = fs.existsSync(path.join(dataDir, 'tmp')) ? fs.readdirSync(path.join(dataDir, 'tmp')) : [];
  return { rows, files, tmp };
}

/** Index and files agree: every row has its file with that size and hash, every file has its row. */
function expectIndexAndFilesAgree(dataDir: string) {
  const { rows, files, tmp } = readDataDir(dataDir);
  const named = new Set<string>();
  for (const r of rows) {
    const key = `${r.slotId}/${r.idx === -1 ? MANIFEST_INDEX : r.idx}`;
    named.add(key);
    const bytes = files.get(key);
    expect(bytes, `file of indexed shard ${key}`).to.not.equal(undefined);
    expect(bytes?.length).to.equal(r.size, `size of ${key}`);
    expect(sha256(bytes as Buffer)).to.equal(r.sha256, `hash of ${key}`);
  }
  expect(
    [...files.keys()].filter((k) => !named.has(k)),
    'shard files without an index row',
  ).to.deep.equal([]);
  return { rows: rows.length, tmp };
}

describe('a `dhost node` killed with SIGKILL in the middle of writes, restarted on the same data folder and port', () => {
  let pn: ProcessNetwork;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const userKey = hardhatKey(16);
  const user = privateKeyToAccount(userKey);
  let market: Address;
  let publicClient: Awaited<ReturnType<typeof connectChain>>['publicClient'];
  let epochLength: bigint;

  const read = <T>(functionName: string, args: readonly unknown[] = []) =>
    publicClient.readContract({ address: market, abi: marketAbi, functionName, args } as never) as Promise<T>;

  before(async () => {
    pn = await startProcessNetwork(hre, {
      peers: COLUMNS_B,
      firstAccount: 1,
      deployParams: {
        // Short epochs moved by the test, every filled slot challenged in every epoch, heartbeats that outlast the test.
        epochLength: 300n,
        challengeProbabilityPpm: 1_000_000n,
        heartbeatTimeout: 86_400n,
      },
    });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dhost-node-crash-'));
    const connected = await connectChain({ rpcUrl: pn.rpcUrl });
    publicClient = connected.publicClient;
    market = pn.deployment.contracts.Marketplace;
    await fundAccounts(
      { publicClient, chain: connected.chain },
      { funderKey: hardhatKey(0), token: pn.deployment.contracts.RewardToken, recipients: [user.address], tokens: 1_000_000n * 10n ** 18n },
    );
    env = { ...pn.env, DHOST_HOME: path.join(work, 'home'), DHOST_PRIVATE_KEY: userKey };
    epochLength = (await read<{ epochLength: bigint }>('config')).epochLength;
  });

  after(async () => {
    await pn?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  /**
   * Moves the chain into the next epoch and waits until the nodes have fixed its seed and proven
   * every challenged slot in `slots`. Returns the epoch.
   */
  const nextEpoch = async (slots: Hex[]) => {
    await time.increase(Number(epochLength));
    await mine(1);
    const epoch = await read<bigint>('currentEpoch');
    await eventually(
      `epoch ${epoch} proven`,
      async () => {
        if ((await read<Hex>('seedOf', [epoch])) === `0x${'0'.repeat(64)}`) return undefined;
        for (const slotId of slots) {
          const [challenged] = await read<readonly [boolean, bigint]>('challengeOf', [slotId, epoch]);
          if (challenged && !(await read<boolean>('isProven', [slotId, epoch]))) return undefined;
        }
        return true;
      },
      { everyMs: 250, attempts: 240 },
    );
    return epoch;
  };

  it('serves no partial shard, keeps index and files in agreement, fills its slot and keeps proving and earning', async () => {
    // Deal A: filled before the crash, three copies; its column 0's peer is the one that will crash.
    const fileA = path.join(work, 'a.bin');
    fs.writeFileSync(fileA, randomBytes(3 * CHUNK + 5));
    const a = await upload(
      {
        account: user,
        chainId: pn.chainId,
        master: masterFromPrivateKey(userKey),
        peers: chainPeerSource({ publicClient, registry: pn.deployment.contracts.PeerRegistry }),
        marketplace: {
          publicClient,
          walletClient: createWalletClient({ account: user, chain: publicClient.chain, transport: http(pn.rpcUrl) }),
          market,
          token: pn.deployment.contracts.RewardToken,
        },
      },
      { source: await fileSource(fileA), name: 'a.bin', chunkSize: CHUNK, replicas: 3, epochs: 20, pollIntervalMs: 200 },
    );
    const victim = pn.peers.find((p) => p.address.toLowerCase() === a.columns[0].operator.toLowerCase());
    if (!victim) throw new Error('no process peer holds column 0 of deal A');
    const slotA = a.columns[0].slotId as Hex;

    // Deal B: `dhost upload` to all four peers; the crashing peer is killed with SIGKILL while it
    // receives B's shards, and the client with it (else it would move the column or cancel the deal).
    const fileB = path.join(work, 'b.bin');
    const bytesB = randomBytes(SIZE_B);
    fs.writeFileSync(fileB, bytesB);
    const client = spawn(process.execPath, [bin, 'upload', fileB, '--replicas', String(COLUMNS_B), '--chunk-size', '64KiB', '--json'], {
      cwd: root,
      env,
      stdio: 'ignore',
    });
    const clientExit = new Promise((resolve) => client.once('exit', resolve));
    const pendingDir = path.join(env.DHOST_HOME as string, 'pending-uploads');
    let dealB: FileId | undefined;
    let columnB = -1;
    let heldAtKill = 0;
    for (let i = 0; i < 3000 && client.exitCode === null; i++) {
      const journal = fs.existsSync(pendingDir) ? fs.readdirSync(pendingDir).find((n) => n.endsWith('.json')) : undefined;
      if (journal) {
        const record = JSON.parse(fs.readFileSync(path.join(pendingDir, journal), 'utf8'));
        dealB = record.dealId;
        columnB = record.columns.findIndex((c: { operator: string }) => c.operator.toLowerCase() === victim.address.toLowerCase());
        const { holdings } = await getHoldings({}, { endpoint: victim.endpoint, fileId: record.dealId }).catch(() => ({ holdings: { slots: [] } }));
        heldAtKill = holdings.slots.reduce((n: number, s: { shards: unknown[] }) => n + s.shards.length, 0);
        if (heldAtKill >= HELD_AT_KILL) break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(heldAtKill, 'the crashing peer was receiving deal B').to.be.at.least(HELD_AT_KILL);
    // Kill while a body is being written when we can catch one (a `.part` file in its tmp/).
    const tmpDir = path.join(victim.dataDir, 'tmp');
    for (let i = 0; i < 5000 && fs.readdirSync(tmpDir).length === 0; i++) await new Promise((r) => setImmediate(r));
    const victimExit = new Promise((resolve) => victim.child?.once('exit', resolve));
    victim.child?.kill('SIGKILL');
    client.kill('SIGKILL');
    await Promise.all([victimExit, clientExit]);
    const atCrash = readDataDir(victim.dataDir);
    const slotB = slotIdOf(dealB as FileId, columnB);

    // Restart on the same data folder and port (the proxy keeps the endpoint on chain).
    await pn.start(victim.index);
    const afterRestart = expectIndexAndFilesAgree(victim.dataDir);
    expect(afterRestart.tmp, 'temporary files left after recovery').to.deep.equal([]);

    // (a) Every index of B's column that the client may have sent: either 404, or bytes whose hash is the index's.
    const access = await selfIssuedAccess({ account: user, publicClient }, { chainId: pn.chainId, market, dealId: dealB as Hex });
    const servedBefore = new Map<ShardIndex, string>();
    const chunksB = Math.ceil(SIZE_B / CHUNK_B);
    const indices: ShardIndex[] = [...Array.from({ length: chunksB }, (_, i) => i), MANIFEST_INDEX];
    let notFound = 0;
    for (const index of indices) {
      try {
        const bytes = await getShard({ access }, { endpoint: victim.endpoint, node: victim.address, fileId: dealB as FileId, column: columnB, index });
        servedBefore.set(index, sha256(bytes));
        if (index !== MANIFEST_INDEX) expect(bytes.length).to.equal(CHUNK_B + 16, `length of served shard ${index}`);
      } catch (err) {
        expect(err).to.be.instanceOf(PeerRequestError);
        expect((err as PeerRequestError).status).to.equal(404, `shard ${index}: ${(err as Error).message}`);
        notFound += 1;
      }
    }
    expect(servedBefore.size).to.be.at.least(1);

    // The client resumes; the restarted peer takes the rest of its column and fills its slot.
    const resumed = await run(process.execPath, [bin, 'upload', '--resume', '--json'], { cwd: root, env, maxBuffer: 1 << 26 });
    const result = JSON.parse(resumed.stdout.trim().split('\n').pop() ?? '{}');
    expect(result.fileId).to.equal(dealB);
    expect(result.deal.filled.map((f: { peer: string }) => f.peer.toLowerCase())).to.include(victim.address.toLowerCase());
    const hashesB = Buffer.from(result.manifest.columns.find((c: { column: number }) => c.column === columnB).shardSha256, 'base64');
    for (const [index, hash] of servedBefore) {
      if (index === MANIFEST_INDEX) continue;
      expect(hash).to.equal(hashesB.subarray((index as number) * 32, (index as number) * 32 + 32).toString('hex'), `shard ${index} served after the crash`);
    }
    const copy = path.join(work, 'b.copy');
    await run(process.execPath, [bin, 'download', result.handle, '-o', copy], { cwd: root, env, maxBuffer: 1 << 26 });
    expect(Buffer.compare(fs.readFileSync(copy), bytesB)).to.equal(0);

    // (c) No fee lost: both slots stay filled by the crashed peer, proven in every challenged epoch, and it earns.
    for (const slotId of [slotA, slotB]) expect((await readSlot({ publicClient }, { market, slotId })).state).to.equal(SLOT_STATE.Filled);
    const ledgerBefore = await read<Ledger>('ledger', [victim.address]);
    const epochs: bigint[] = [];
    for (let i = 0; i < 6; i++) epochs.push(await nextEpoch([slotA, slotB]));
    for (const slotId of [slotA, slotB]) {
      const slot = await readSlot({ publicClient }, { market, slotId });
      expect(slot.state).to.equal(SLOT_STATE.Filled);
      expect(slot.peer.toLowerCase()).to.equal(victim.address.toLowerCase());
      expect(slot.misses).to.equal(0);
      for (const epoch of epochs) {
        const [challenged] = await read<readonly [boolean, bigint]>('challengeOf', [slotId, epoch]);
        if (challenged) expect(await read<boolean>('isProven', [slotId, epoch])).to.equal(true, `slot ${slotId} in epoch ${epoch}`);
      }
    }
    const ledger = await eventually(
      'the crashed peer claimed pay',
      async () => {
        const l = await read<Ledger>('ledger', [victim.address]);
        return l.earned > ledgerBefore.earned ? l : undefined;
      },
      { everyMs: 500, attempts: 120 },
    );
    expect(ledger.proofsMissed).to.equal(0n);
    expect(ledger.epochsProven > ledgerBefore.epochsProven).to.equal(true);

    // (b) once more at the end: index and files agree, nothing left in tmp.
    await pn.kill(victim.index);
    const end = expectIndexAndFilesAgree(victim.dataDir);
    console.log(
      `      crash with ${heldAtKill} of deal B's shards held, ${atCrash.tmp.length} temporary file(s) and ${atCrash.rows.length} index rows on disk; after restart: ${afterRestart.rows} rows agree with files, ${servedBefore.size} shards served (hashes right), ${notFound} indices 404; resume skipped ${result.resumed.piecesSkipped}; ledger earned ${ledgerBefore.earned} → ${ledger.earned}; ${end.rows} rows at the end`,
    );
  });
});
