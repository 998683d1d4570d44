import { expect } from 'chai';
import fc from 'fast-check';
import { type Address, getAddress, zeroAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { NotEnoughPeersError } from '../../client/errors';
import { memoryExperience } from '../../client/peer-experience';
import { type CandidatePeer, staticPeerSource } from '../../client/peer-source';
import { type PlacedPeer, placeColumns, type StatusProbe } from '../../client/placement';
import { LATENCY_HALF_MS, placementScore, REPUTATION_PRIOR, type ScoreInputs, SPACE_WEIGHT, scoreFactors } from '../../client/placement-score';
import { seededRandom } from '../../client/seeded-random';
import type { HttpRequester } from '../../client/transport/http-requester';
import { signStatus } from '../../protocol/status-signing';
import type { NodeStatus } from '../../protocol/wire';

const GiB = 2 ** 30;
const CHAIN_ID = 31337;

/** What one simulated peer answers to `/status` (or `'down'`). */
interface Sim {
  record: CandidatePeer;
  freeBytes: number;
  rttMs: number;
  maxShardBytes?: number;
  signsAs?: Address;
  chainId?: number;
  down?: boolean;
}

const operatorOf = (i: number): Address => getAddress(`0x${(i + 1).toString(16).padStart(40, '0')}`);

function record(i: number, over: Partial<CandidatePeer> = {}): CandidatePeer {
  return {
    operator: operatorOf(i),
    endpoint: `https://node${i}.example.org`,
    capacity: 0n,
    pricePerGiBEpoch: 1n,
    stake: 100n,
    lockedStake: 0n,
    registeredAt: 1_000n,
    lastHeartbeat: 1_000n,
    exitRequestedAt: 0n,
    ...over,
  };
}

function sim(i: number, over: Partial<Sim> = {}, rec: Partial<CandidatePeer> = {}): Sim {
  return { record: record(i, rec), freeBytes: 10 * GiB, rttMs: 10, ...over };
}

/** A probe answering from the simulated peers, keyed by endpoint. */
function probeOf(sims: readonly Sim[]): StatusProbe {
  const byEndpoint = new Map(sims.map((s) => [s.record.endpoint, s]));
  return async ({ endpoint }) => {
    const s = byEndpoint.get(endpoint);
    if (!s || s.down) throw new Error('connection refused');
    const status: NodeStatus = {
      address: s.signsAs ?? s.record.operator,
      chainId: s.chainId ?? CHAIN_ID,
      version: '0.1.0',
      capacityBytes: s.freeBytes,
      usedBytes: 0,
      freeBytes: s.freeBytes,
      slots: 0,
      shards: 0,
      maxShardBytes: s.maxShardBytes ?? 17 * 2 ** 20,
      uptimeSeconds: 1,
    };
    return { status, rttMs: s.rttMs };
  };
}

/** A plain status naming `address`. */
function probeStatus(address: Address): NodeStatus {
  return {
    address,
    chainId: CHAIN_ID,
    version: '0.1.0',
    capacityBytes: GiB,
    usedBytes: 0,
    freeBytes: GiB,
    slots: 0,
    shards: 0,
    maxShardBytes: 17 * 2 ** 20,
    uptimeSeconds: 1,
  };
}

const place = (
  sims: readonly Sim[],
  params: { columns: number; columnBytes?: number; publicEndpointsOnly?: boolean; nowSeconds?: bigint },
  deps: { random?: () => number; experience?: ReturnType<typeof memoryExperience> } = {},
) =>
  placeColumns(
    { peers: staticPeerSource(sims.map((s) => s.record)), probe: probeOf(sims), random: deps.random ?? seededRandom(1), experience: deps.experience },
    { columnBytes: 1 << 20, shardBytes: 1 << 20, chainId: CHAIN_ID, ...params },
  );

const byOperator = (placed: PlacedPeer[], op: Address) => placed.find((p) => p.operator === op);

/** `n·p ± z·sqrt(n·p·(1−p))`: with z = 5 a correct sampler leaves this band about once in 3.5 million runs. */
function binomialBand(n: number, p: number, z = 5): [number, number] {
  const sd = Math.sqrt(n * p * (1 - p));
  return [n * p - z * sd, n * p + z * sd];
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('client/placement', () => {
  describe('for any set of candidates', () => {
    it('never puts two columns on one peer, one endpoint or one operator, and never chooses an ineligible peer', async () => {
      const peerArb = fc.record({
        operatorIndex: fc.integer({ min: 0, max: 9 }),
        endpointIndex: fc.integer({ min: 0, max: 9 }),
        freeGiB: fc.integer({ min: 0, max: 20 }),
        rttMs: fc.integer({ min: 1, max: 400 }),
        price: fc.bigInt({ min: 0n, max: 10n }),
        exiting: fc.boolean(),
        lapsed: fc.boolean(),
        lowStake: fc.boolean(),
        missed: fc.integer({ min: 0, max: 5 }),
        down: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(peerArb, { maxLength: 16 }), fc.integer({ min: 1, max: 8 }), fc.integer(), async (specs, columns, seed) => {
          const rules = { minStake: 50n, heartbeatTimeout: 600n };
          const sims = specs.map((s) => ({
            record: record(s.operatorIndex, {
              endpoint: `https://node${s.endpointIndex}.example.org`,
              pricePerGiBEpoch: s.price,
              exitRequestedAt: s.exiting ? 5_000n : 0n,
              lastHeartbeat: s.lapsed ? 1_000n : 9_900n,
              stake: s.lowStake ? 10n : 100n,
              ledger: { bytesHeld: 0n, epochsProven: 0n, proofsMissed: BigInt(s.missed) },
              rules,
            }),
            freeBytes: s.freeGiB * GiB,
            rttMs: s.rttMs,
            down: s.down,
          }));
          // Eligible at all; repeated missers (2+ misses, no proof kept) only as a last resort.
          const eligible = (r: CandidatePeer) => {
            const s = sims.find((x) => x.record === r);
            return (
              !!s &&
              !s.down &&
              s.freeBytes >= 1 << 20 &&
              r.exitRequestedAt === 0n &&
              r.stake >= rules.minStake &&
              r.lastHeartbeat + rules.heartbeatTimeout >= 10_000n
            );
          };
          const misser = (r: CandidatePeer) => (r.ledger?.proofsMissed ?? 0n) >= 2n;
          let result: Awaited<ReturnType<typeof placeColumns>>;
          try {
            result = await place(sims, { columns, nowSeconds: 10_000n }, { random: seededRandom(seed) });
          } catch (err) {
            expect(err).to.be.instanceOf(NotEnoughPeersError);
            expect((err as NotEnoughPeersError).healthy).to.be.lessThan(columns);
            return;
          }
          const { chosen, spares } = result;
          expect(chosen).to.have.length(columns);
          const all = [...chosen, ...spares];
          expect(new Set(all.map((p) => p.operator)).size).to.equal(all.length);
          expect(new Set(all.map((p) => p.endpoint)).size).to.equal(all.length);
          const records = all.map((p) => sims.map((s) => s.record).find((r) => r.operator === p.operator && r.endpoint === p.endpoint));
          for (const [i, rec] of records.entries()) expect(rec && eligible(rec), `${all[i].endpoint} is eligible`).to.equal(true);
          // A misser is used only when the other eligible peers (all probed, all kept) are too few.
          if (records.some((r) => r && misser(r))) expect(records.filter((r) => r && !misser(r)).length).to.be.lessThan(columns);
          for (let i = 1; i < spares.length; i++) expect(spares[i - 1].score).to.be.at.least(spares[i].score);
        }),
        { numRuns: 200, seed: 20_240_601 },
      );
    });
  });

  describe('when some candidates are not eligible', () => {
    const rules = { minStake: 50n, heartbeatTimeout: 600n };
    const sims: Sim[] = [
      sim(0, {}, { rules, lastHeartbeat: 9_900n }),
      sim(1, {}, { rules, lastHeartbeat: 9_900n, exitRequestedAt: 9_000n }), // exiting
      sim(2, {}, { rules, lastHeartbeat: 9_000n }), // heartbeat lapsed (1000 s > 600 s)
      sim(3, {}, { rules, lastHeartbeat: 9_900n, stake: 10n }), // stake under the minimum
      sim(4, {}, { rules, lastHeartbeat: 9_900n, ledger: { bytesHeld: 0n, epochsProven: 1n, proofsMissed: 3n } }), // repeated misses
      sim(5, { freeBytes: 1000 }, { rules, lastHeartbeat: 9_900n }), // full by its status
      sim(6, {}, { rules, lastHeartbeat: 9_900n, capacity: 4n * 2n ** 30n, ledger: { bytesHeld: 4n * 2n ** 30n - 10n, epochsProven: 0n, proofsMissed: 0n } }), // full by the chain
      sim(7, { maxShardBytes: 1000 }, { rules, lastHeartbeat: 9_900n }), // shards too small
      sim(8, { down: true }, { rules, lastHeartbeat: 9_900n }), // unreachable
      sim(9, { signsAs: operatorOf(42) }, { rules, lastHeartbeat: 9_900n }), // another key
      sim(10, { chainId: 1 }, { rules, lastHeartbeat: 9_900n }), // another chain
      sim(11, {}, { rules, lastHeartbeat: 9_900n, operator: zeroAddress }), // no record
      sim(12, {}, { rules, lastHeartbeat: 9_900n, endpoint: 'http://192.168.1.5:7001' }), // private endpoint
      sim(13, {}, { rules, lastHeartbeat: 9_900n, operator: operatorOf(0), endpoint: 'https://other.example.org' }), // operator 0 again
      sim(14, {}, { rules, lastHeartbeat: 9_900n, endpoint: 'https://NODE0.example.org/' }), // endpoint of node 0 again
    ];

    it('chooses only the eligible peer, over many draws', async () => {
      for (let seed = 0; seed < 50; seed++) {
        const { chosen, spares } = await place(sims, { columns: 1, publicEndpointsOnly: true, nowSeconds: 10_000n }, { random: seededRandom(seed) });
        expect(chosen.map((p) => p.operator)).to.deep.equal([operatorOf(0)]);
        expect(spares).to.deep.equal([]);
      }
    });

    it('uses a peer with repeated missed proofs only when the others are too few', async () => {
      const { chosen, spares } = await place(sims, { columns: 2, publicEndpointsOnly: true, nowSeconds: 10_000n });
      expect(chosen.map((p) => p.operator).sort()).to.deep.equal([operatorOf(0), operatorOf(4)].sort());
      expect(spares).to.deep.equal([]);
      const alone = await place(sims, { columns: 1, publicEndpointsOnly: true, nowSeconds: 10_000n });
      expect(alone.chosen.map((p) => p.operator)).to.deep.equal([operatorOf(0)]);
    });

    it('throws NotEnoughPeersError naming every reason when more columns are asked than peers are eligible', async () => {
      const err = await rejection(place(sims, { columns: 3, publicEndpointsOnly: true, nowSeconds: 10_000n }));
      expect(err).to.be.instanceOf(NotEnoughPeersError);
      const e = err as NotEnoughPeersError;
      expect(e.needed).to.equal(3);
      expect(e.healthy).to.equal(2);
      expect(e.candidates).to.equal(sims.length);
      const reasons = (e.details as { reasons: string[] }).reasons.join('\n');
      for (const fragment of [
        'exiting',
        'no heartbeat for 1000 s',
        'under the minimum',
        'missed 3 proofs',
        '1000 bytes free',
        'announces 10 bytes free',
        'takes shards up to 1000',
        'connection refused',
        'signs as',
        'serves chain 1',
        'no registry record',
        'not a public endpoint',
        'already a candidate',
        'endpoint already a candidate',
      ]) {
        expect(reasons).to.include(fragment);
      }
    });

    it('judges heartbeat age by the newest record when no time is given', async () => {
      const lapsed = [sim(0, {}, { rules, lastHeartbeat: 10_000n }), sim(1, {}, { rules, lastHeartbeat: 9_000n })];
      const err = await rejection(place(lapsed, { columns: 2 }));
      expect(err).to.be.instanceOf(NotEnoughPeersError);
    });
  });

  describe('weighted randomness', () => {
    it('varies the first choice among equal peers, each about equally often', async () => {
      const sims = Array.from({ length: 5 }, (_, i) => sim(i));
      const random = seededRandom(7);
      const n = 2000;
      const firsts = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const { chosen } = await place(sims, { columns: 3 }, { random });
        firsts.set(chosen[0].operator, (firsts.get(chosen[0].operator) ?? 0) + 1);
      }
      expect(firsts.size).to.equal(5);
      const [lo, hi] = binomialBand(n, 1 / 5);
      for (const count of firsts.values()) expect(count).to.be.within(lo, hi);
    });

    it('chooses a peer with twice the score twice as often', async () => {
      // Peer 0 asks half the price of the others, all else equal: twice the score.
      const sims = [sim(0, {}, { pricePerGiBEpoch: 1n }), ...Array.from({ length: 4 }, (_, i) => sim(i + 1, {}, { pricePerGiBEpoch: 2n }))];
      const first = await place(sims, { columns: 5 });
      const score = (op: Address) => byOperator(first.chosen, op)?.score ?? 0;
      expect(score(operatorOf(0))).to.be.closeTo(2 * score(operatorOf(1)), 1e-12);

      const random = seededRandom(11);
      const n = 3000;
      const counts = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const { chosen } = await place(sims, { columns: 1 }, { random });
        counts.set(chosen[0].operator, (counts.get(chosen[0].operator) ?? 0) + 1);
      }
      // P(first = peer 0) = 2 / (2 + 4·1) = 1/3; each other peer 1/6.
      const [lo, hi] = binomialBand(n, 1 / 3);
      expect(counts.get(operatorOf(0))).to.be.within(lo, hi);
      const [loOther, hiOther] = binomialBand(n, 1 / 6);
      for (let i = 1; i < 5; i++) expect(counts.get(operatorOf(i))).to.be.within(loOther, hiOther);
    });

    it('gives the same placement for the same random source', async () => {
      const sims = Array.from({ length: 8 }, (_, i) => sim(i, { rttMs: 5 + i * 20 }));
      const a = await place(sims, { columns: 4 }, { random: seededRandom(3) });
      const b = await place(sims, { columns: 4 }, { random: seededRandom(3) });
      expect(a.chosen.map((p) => p.operator)).to.deep.equal(b.chosen.map((p) => p.operator));
    });

    it('orders the spares by score, best first, for failover', async () => {
      const sims = Array.from({ length: 8 }, (_, i) => sim(i, { freeBytes: (i + 1) * GiB }));
      const { chosen, spares } = await place(sims, { columns: 3 });
      expect(chosen).to.have.length(3);
      expect(spares).to.have.length(5);
      const scores = spares.map((p) => p.score);
      expect(scores).to.deep.equal([...scores].sort((x, y) => y - x));
      expect(spares.map((p) => p.operator)).to.not.include.members(chosen.map((p) => p.operator));
    });
  });

  describe('scoring', () => {
    const twins = (a: Partial<Sim>, b: Partial<Sim>, recA: Partial<CandidatePeer> = {}, recB: Partial<CandidatePeer> = {}) => [
      sim(0, a, recA),
      sim(1, b, recB),
    ];
    const scoresOf = async (sims: Sim[], experience?: ReturnType<typeof memoryExperience>) => {
      const { chosen } = await place(sims, { columns: sims.length }, { experience });
      return sims.map((s) => byOperator(chosen, s.record.operator)?.score ?? Number.NaN);
    };

    it('lowers the score of a peer whose reads failed in this client', async () => {
      const experience = memoryExperience();
      for (let i = 0; i < 3; i++) experience.recordFailure(operatorOf(1));
      const [good, bad] = await scoresOf(twins({}, {}), experience);
      const reads = REPUTATION_PRIOR / (3 + REPUTATION_PRIOR);
      expect(bad / good).to.be.closeTo(reads ** 2, 1e-12); // reputation weighs twice
    });

    it('does not lower the score of a peer whose reads succeeded', async () => {
      const experience = memoryExperience();
      for (let i = 0; i < 3; i++) experience.recordSuccess(operatorOf(1));
      const [a, b] = await scoresOf(twins({}, {}), experience);
      expect(b).to.equal(a);
    });

    it('lowers the score of a peer that missed proofs on chain', async () => {
      const [a, b] = await scoresOf(
        twins({}, {}, { ledger: { bytesHeld: 0n, epochsProven: 40n, proofsMissed: 0n } }, { ledger: { bytesHeld: 0n, epochsProven: 40n, proofsMissed: 1n } }),
      );
      expect(b).to.be.lessThan(a);
    });

    it('lowers the score of a slower peer', async () => {
      const [fast, slow] = await scoresOf(twins({ rttMs: 10 }, { rttMs: 200 }));
      expect(slow).to.be.lessThan(fast);
      expect(slow / fast).to.be.closeTo((LATENCY_HALF_MS + 10) / (LATENCY_HALF_MS + 200), 1e-12);
    });

    it('scores price relative to the cheapest eligible ask', async () => {
      const asks = [1n, 2n, 4n];
      const cheap = await scoresOf(asks.map((p, i) => sim(i, {}, { pricePerGiBEpoch: p })));
      expect(cheap[1] / cheap[0]).to.be.closeTo(0.5, 1e-9);
      expect(cheap[2] / cheap[0]).to.be.closeTo(0.25, 1e-9);
      const dear = await scoresOf(asks.map((p, i) => sim(i, {}, { pricePerGiBEpoch: p * 10n ** 18n })));
      expect(dear).to.deep.equal(cheap);
    });

    it('weighs free space by SPACE_WEIGHT, relative to the roomiest peer', async () => {
      const [roomy, half] = await scoresOf(twins({ freeBytes: 20 * GiB }, { freeBytes: 10 * GiB }));
      expect(half / roomy).to.be.closeTo(0.5 ** SPACE_WEIGHT, 1e-12);
    });

    it('takes the smaller of the announced capacity left and the status free space', async () => {
      const sims = [
        sim(0, { freeBytes: 10 * GiB }, { capacity: BigInt(8 * GiB), ledger: { bytesHeld: BigInt(3 * GiB), epochsProven: 0n, proofsMissed: 0n } }),
        sim(1, { freeBytes: 2 * GiB }, { capacity: BigInt(8 * GiB) }),
      ];
      const { chosen } = await place(sims, { columns: 2 });
      expect(byOperator(chosen, operatorOf(0))?.freeBytes).to.equal(5 * GiB);
      expect(byOperator(chosen, operatorOf(1))?.freeBytes).to.equal(2 * GiB);
    });

    it('prefers an older registration and a fresher heartbeat', async () => {
      const rules = { minStake: 0n, heartbeatTimeout: 600n };
      const [old, young] = await scoresOf(
        twins({}, {}, { registeredAt: 0n, lastHeartbeat: 10_000n, rules }, { registeredAt: 9_000n, lastHeartbeat: 10_000n, rules }),
      );
      expect(young).to.be.lessThan(old);
      const [fresh, stale] = await scoresOf(twins({}, {}, { lastHeartbeat: 10_000n, rules }, { lastHeartbeat: 9_500n, rules }));
      expect(stale).to.be.lessThan(fresh);
    });
  });

  describe('placementScore', () => {
    const base: ScoreInputs = {
      freeBytes: 10,
      maxFreeBytes: 10,
      rttMs: 0,
      pricePerGiBEpoch: 0n,
      cheapestPricePerGiBEpoch: 0n,
      proofsKept: 0,
      proofsMissed: 0,
      readSuccesses: 0,
      readFailures: 0,
      ageSeconds: 1e12,
      sinceHeartbeatSeconds: 0,
    };

    it('is 1 for an ideal peer and keeps every factor in [0, 1] for any input', () => {
      expect(placementScore(base).score).to.be.closeTo(1, 1e-6);
      fc.assert(
        fc.property(
          fc.record({
            freeBytes: fc.nat(),
            maxFreeBytes: fc.nat(),
            rttMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
            pricePerGiBEpoch: fc.bigInt({ min: 0n, max: 10n ** 24n }),
            cheapestPricePerGiBEpoch: fc.bigInt({ min: 0n, max: 10n ** 24n }),
            proofsKept: fc.nat(),
            proofsMissed: fc.nat(),
            readSuccesses: fc.nat(),
            readFailures: fc.nat(),
            ageSeconds: fc.nat(),
            sinceHeartbeatSeconds: fc.nat(),
            heartbeatTimeoutSeconds: fc.option(fc.nat(), { nil: undefined }),
          }),
          (inputs) => {
            const { score, factors } = placementScore(inputs);
            for (const v of [score, ...Object.values(factors)]) expect(v).to.be.within(0, 1);
          },
        ),
        { seed: 5 },
      );
    });

    it('halves the latency factor at LATENCY_HALF_MS, the age factor starts at one half, freshness reaches one half at the timeout', () => {
      expect(scoreFactors({ ...base, rttMs: LATENCY_HALF_MS }).latency).to.equal(0.5);
      expect(scoreFactors({ ...base, ageSeconds: 0 }).uptime).to.equal(0.5);
      expect(scoreFactors({ ...base, sinceHeartbeatSeconds: 600, heartbeatTimeoutSeconds: 600 }).uptime).to.be.closeTo(0.5, 1e-6);
      expect(scoreFactors({ ...base, sinceHeartbeatSeconds: 600 }).uptime).to.be.closeTo(1, 1e-6);
    });
  });

  describe('when an endpoint does not speak for its operator', () => {
    /** Four peers with real keys; `answersAs` maps a peer index to the key whose status its endpoint serves. */
    const keys = Array.from({ length: 4 }, () => privateKeyToAccount(generatePrivateKey()));
    const records = keys.map((k, i) => record(i, { operator: k.address }));
    const signedStatusRequester =
      (answersAs: Record<number, (typeof keys)[number]>, unsigned: number[] = []): HttpRequester =>
      async ({ url }) => {
        const i = records.findIndex((r) => url.startsWith(r.endpoint));
        const key = answersAs[i] ?? keys[i];
        const fields = { ...probeStatus(key.address), freeBytes: 10 * GiB, capacityBytes: 10 * GiB };
        const body = unsigned.includes(i) ? fields : await signStatus({ signer: key }, { status: fields, signedAt: Math.floor(Date.now() / 1000) });
        return {
          status: 200,
          statusText: 'OK',
          headers: {},
          body: (async function* () {
            yield new TextEncoder().encode(JSON.stringify(body));
          })(),
          cancel: () => {},
        };
      };
    const placeAll = (request: HttpRequester, columns: number) =>
      placeColumns(
        { peers: staticPeerSource(records), request, random: seededRandom(3) },
        { columns, columnBytes: 1 << 20, shardBytes: 1 << 20, chainId: CHAIN_ID },
      );

    it('passes the operator on chain to the probe as the expected signer', async () => {
      const asked: (Address | undefined)[] = [];
      const sims = records.map((r) => ({ record: r, freeBytes: 10 * GiB, rttMs: 10 }));
      const probe = probeOf(sims);
      await placeColumns(
        {
          peers: staticPeerSource(records),
          probe: (p) => {
            asked.push(p.expectedSigner);
            return probe(p);
          },
          random: seededRandom(3),
        },
        { columns: 4, columnBytes: 1 << 20, shardBytes: 1 << 20, chainId: CHAIN_ID },
      );
      expect(asked.sort()).to.deep.equal(keys.map((k) => k.address).sort());
    });

    it('places on peers whose status is signed by their operator', async () => {
      const { chosen } = await placeAll(signedStatusRequester({}), 4);
      expect(chosen.map((p) => p.operator).sort()).to.deep.equal(keys.map((k) => k.address).sort());
    });

    it('drops a peer answering with another key’s status, or unsigned, with the reason', async () => {
      const request = signedStatusRequester({ 1: keys[2] }, [3]);
      const { chosen, spares } = await placeAll(request, 2);
      expect([...chosen, ...spares].map((p) => p.operator).sort()).to.deep.equal([keys[0].address, keys[2].address].sort());
      const err = await rejection(placeAll(request, 3));
      expect(err).to.be.instanceOf(NotEnoughPeersError);
      const message = (err as NotEnoughPeersError).message;
      expect(message).to.contain(`${records[1].endpoint}: GET ${records[1].endpoint}/status failed with 200: STATUS_SIGNATURE_INVALID`);
      expect(message).to.contain(`${records[3].endpoint}: GET ${records[3].endpoint}/status failed with 200: STATUS_SIGNATURE_INVALID`);
    });
  });

  describe('when there are many more candidates than columns', () => {
    /** `place`, counting the probes. */
    const countingPlace = async (sims: readonly Sim[], params: { columns: number; maxProbes?: number }, random = seededRandom(7)) => {
      const probe = probeOf(sims);
      const probedEndpoints: string[] = [];
      const placement = await placeColumns(
        {
          peers: staticPeerSource(sims.map((s) => s.record)),
          probe: (p) => {
            probedEndpoints.push(p.endpoint);
            return probe(p);
          },
          random,
        },
        { columnBytes: 1 << 20, shardBytes: 1 << 20, chainId: CHAIN_ID, ...params },
      );
      return { placement, probedEndpoints };
    };

    it('probes max(24, 3 × columns) of them, not all, and keeps the probed rest as spares', async () => {
      const sims = Array.from({ length: 200 }, (_, i) => sim(i));
      const { placement, probedEndpoints } = await countingPlace(sims, { columns: 6 });
      expect(probedEndpoints).to.have.length(24);
      expect(new Set(probedEndpoints).size).to.equal(24);
      expect(placement.chosen).to.have.length(6);
      expect(placement.spares).to.have.length(18);
      for (const p of [...placement.chosen, ...placement.spares]) expect(probedEndpoints).to.include(p.endpoint);
      const wide = await countingPlace(sims, { columns: 10 });
      expect(wide.probedEndpoints).to.have.length(30);
    });

    it('probes everyone, as before, when they fit the bound', async () => {
      const sims = Array.from({ length: 24 }, (_, i) => sim(i));
      const { probedEndpoints } = await countingPlace(sims, { columns: 2 });
      expect([...probedEndpoints].sort()).to.deep.equal(sims.map((s) => s.record.endpoint).sort());
    });

    it('probes another round only while too few answered well', async () => {
      // 30 of 40 are down: a round of 10 finds on average 2.5 healthy, so several rounds are needed for 4.
      const sims = Array.from({ length: 40 }, (_, i) => sim(i, { down: i % 4 !== 0 }));
      const { placement, probedEndpoints } = await countingPlace(sims, { columns: 4, maxProbes: 10 });
      expect(placement.chosen).to.have.length(4);
      expect(probedEndpoints.length % 10).to.equal(0);
      expect(probedEndpoints.length).to.be.lessThan(40);
      const err = await rejection(countingPlace(sims, { columns: 11, maxProbes: 10 }));
      expect(err).to.be.instanceOf(NotEnoughPeersError);
    });

    it('draws the probed peers by their chain score: a peer with repeated misses on record is rarely probed', async () => {
      const good = Array.from({ length: 100 }, (_, i) => sim(i, {}, { capacity: 1n << 40n }));
      // Half the room and a poor record, but not bad enough to be dropped: its score is far lower.
      const weak = sim(100, {}, { capacity: 1n << 39n, ledger: { bytesHeld: 0n, epochsProven: 200n, proofsMissed: 20n } });
      let weakProbed = 0;
      const runs = 200;
      const random = seededRandom(11);
      for (let run = 0; run < runs; run++) {
        const { probedEndpoints } = await countingPlace([...good, weak], { columns: 2 }, random);
        if (probedEndpoints.includes(weak.record.endpoint)) weakProbed++;
      }
      // Uniformly it would be probed in 24 of 101 draws (~48 of 200 runs).
      expect(weakProbed).to.be.lessThan(30);
    });
  });

  describe('memoryExperience', () => {
    it('counts per operator, whatever the case of the address', () => {
      const a = memoryExperience();
      const b = memoryExperience();
      a.recordFailure(operatorOf(1));
      a.recordSuccess(operatorOf(1).toLowerCase() as Address);
      a.recordSuccess(operatorOf(1));
      expect(a.failures(operatorOf(1))).to.equal(1);
      expect(a.successes(operatorOf(1))).to.equal(2);
      expect(a.failures(operatorOf(2))).to.equal(0);
      expect(b.failures(operatorOf(1))).to.equal(0); // no shared state between instances
    });
  });
});
