import { expect } from 'chai';
import { type Address, type Chain, getAddress, type PublicClient, type Transport } from 'viem';
import { chainPeerSource, hasRepeatedMisses, staticPeerSource } from '../../client/peer-source';
import type { PeerRecord } from '../../protocol/chain/peers';

const REGISTRY = getAddress('0x00000000000000000000000000000000000000aa');
const MARKET = getAddress('0x00000000000000000000000000000000000000bb');
const operatorOf = (i: number): Address => getAddress(`0x${(i + 1).toString(16).padStart(40, '0')}`);
const recordOf = (i: number): PeerRecord => ({
  operator: operatorOf(i),
  endpoint: `https://node${i}.example.org`,
  capacity: 2n ** 34n,
  pricePerGiBEpoch: 1n,
  stake: 100n,
  lockedStake: 0n,
  registeredAt: 10n,
  lastHeartbeat: 20n,
  exitRequestedAt: 0n,
});

/** A public client that answers the registry's and the market's views from fixed tables. */
function fakeClient(peers: PeerRecord[], ledgers: Map<Address, { bytesHeld: bigint; epochsProven: bigint; proofsMissed: bigint }>, calls: string[] = []) {
  const readContract = async (call: { address: Address; functionName: string; args?: readonly unknown[] }) => {
    calls.push(call.functionName);
    if (call.address === REGISTRY && call.functionName === 'activePeers') {
      const [offset, limit] = call.args as [bigint, bigint];
      const end = offset + limit < BigInt(peers.length) ? offset + limit : BigInt(peers.length);
      return [peers.slice(Number(offset), Number(end)), end];
    }
    if (call.address === REGISTRY && call.functionName === 'config')
      return { minStake: 50n, heartbeatTimeout: 600n, evictionDelay: 1200n, unbondingDelay: 60n, maxEndpointLength: 256n };
    if (call.address === MARKET && call.functionName === 'ledgers') {
      return ((call.args ?? [])[0] as Address[]).map((operator) => {
        const l = ledgers.get(operator) ?? { bytesHeld: 0n, epochsProven: 0n, proofsMissed: 0n };
        return { ...l, earned: 0n, subsidy: 0n };
      });
    }
    throw new Error(`unexpected call ${call.functionName} at ${call.address}`);
  };
  return { readContract } as unknown as PublicClient<Transport, Chain | undefined>;
}

describe('client/peer-source', () => {
  describe('hasRepeatedMisses: when clients stop choosing a peer', () => {
    const cases: [bigint, bigint, boolean][] = [
      [0n, 0n, false], // new peer, no record
      [0n, 1n, false], // one unlucky miss
      [100n, 2n, false], // 2 of 102: under 10 %
      [10n, 2n, true], // 2 of 12: repeated and over 10 %
      [0n, 3n, true],
      [27n, 3n, false], // exactly 10 % is still tolerated
      [26n, 3n, true],
    ];
    for (const [epochsProven, proofsMissed, expected] of cases) {
      it(`${expected ? 'drops' : 'keeps'} a peer with ${epochsProven} proofs kept and ${proofsMissed} missed`, () => {
        expect(hasRepeatedMisses({ epochsProven, proofsMissed })).to.equal(expected);
      });
    }
  });

  describe('chainPeerSource', () => {
    const peers = [recordOf(0), recordOf(1), recordOf(2)];
    const ledgers = new Map([
      [operatorOf(0), { bytesHeld: 2n ** 30n, epochsProven: 40n, proofsMissed: 1n }],
      [operatorOf(1), { bytesHeld: 0n, epochsProven: 10n, proofsMissed: 5n }], // repeated misses
    ]);

    it('gives each active peer the registry rules and its Marketplace ledger, repeated missers included (placement decides)', async () => {
      const list = await chainPeerSource({ publicClient: fakeClient(peers, ledgers), registry: REGISTRY, market: MARKET }).listPeers();
      expect(list.map((p) => p.operator)).to.deep.equal([operatorOf(0), operatorOf(1), operatorOf(2)]);
      expect(list[0].rules).to.deep.equal({ minStake: 50n, heartbeatTimeout: 600n });
      expect(list[0].ledger).to.deep.equal({ bytesHeld: 2n ** 30n, epochsProven: 40n, proofsMissed: 1n });
      expect(list[1].ledger).to.deep.equal({ bytesHeld: 0n, epochsProven: 10n, proofsMissed: 5n });
      expect(list[2].ledger).to.deep.equal({ bytesHeld: 0n, epochsProven: 0n, proofsMissed: 0n });
    });

    describe('when the registry holds more peers than a page', () => {
      it('reads the ledgers one call per page, keeps the order, and costs 2⌈P / page⌉ + 1 calls', async () => {
        const many = Array.from({ length: 5 }, (_, i) => recordOf(i));
        const calls: string[] = [];
        const source = chainPeerSource({ publicClient: fakeClient(many, ledgers, calls), registry: REGISTRY, market: MARKET, pageSize: 2 });
        const list = await source.listPeers();
        expect(list.map((p) => p.operator)).to.deep.equal([0, 1, 2, 3, 4].map(operatorOf));
        expect(list[0].ledger?.epochsProven).to.equal(40n);
        expect(calls.filter((c) => c === 'activePeers')).to.have.length(3);
        expect(calls.filter((c) => c === 'ledgers')).to.have.length(3);
        expect(calls).to.have.length(7);
      });

      it('reads one more, empty, page when the peers fill the last page exactly', async () => {
        const calls: string[] = [];
        const four = Array.from({ length: 4 }, (_, i) => recordOf(i));
        const list = await chainPeerSource({ publicClient: fakeClient(four, ledgers, calls), registry: REGISTRY, market: MARKET, pageSize: 2 }).listPeers();
        expect(list).to.have.length(4);
        expect(calls.filter((c) => c === 'activePeers')).to.have.length(3);
        expect(calls.filter((c) => c === 'ledgers')).to.have.length(2);
      });
    });

    it('gives the rules but no ledger without a market', async () => {
      const list = await chainPeerSource({ publicClient: fakeClient(peers, ledgers), registry: REGISTRY }).listPeers();
      expect(list).to.have.length(3);
      expect(list.every((p) => p.ledger === undefined && p.rules?.heartbeatTimeout === 600n)).to.equal(true);
    });
  });

  describe('staticPeerSource', () => {
    it('lists its peers as given, as a fresh array each time', async () => {
      const source = staticPeerSource([recordOf(0)]);
      const a = await source.listPeers();
      a.pop();
      expect(await source.listPeers()).to.deep.equal([recordOf(0)]);
    });
  });
});
