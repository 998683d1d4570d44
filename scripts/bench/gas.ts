/**
 * Gas benchmark of the Marketplace: receipt `gasUsed` (the 21k base and today's calldata floor
 * included) on Hardhat's default hardfork. Writes bench/results/gas.json and prints a table.
 *
 *   npx hardhat run scripts/bench/gas.ts
 *
 * Each operation is measured in the state it usually runs in: the owner has opened deals before,
 * the filling peer already holds a slot, the slot proven has 2^19 segments of 512 B (256 MiB,
 * depth 19), the slot marked missing proved an earlier epoch (a peer that held the data, then lost
 * it) and its marker has marked before (its credit in the registry is non-zero), the marker
 * withdrawing its credit holds tokens. The first-time variants are printed too (`…First`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { mine, time } from '@nomicfoundation/hardhat-network-helpers';
import type { ContractTransactionResponse } from 'ethers';
import hre, { ethers } from 'hardhat';
import { createKeccakHasher, innerNode, padRoots, proofOfLeaves, rootOfLeaves, SEGMENT_BYTES, segmentLeaf, slotRootLeaf } from '../../protocol/merkle';
import { deployMarket, enterEpochWithSeed, goToEpoch, PRICE, randomDealId, signAssignment, slotIdOf } from '../testkit/market/fixture';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const GOALS: Record<string, number> = {
  openDeal1MiB: 150_000,
  openDeal10GiB: 150_000,
  commitRoot: 60_000,
  fillSlot: 150_000,
  submitProof: 80_000,
  markProofMissing: 80_000,
  claim: 80_000,
};

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error('no receipt');
  return Number(receipt.gasUsed);
}

/** All levels of a tree over `count` zero segments (a 256 MiB slot), for fast proofs. */
async function zeroSlotTree(count: number) {
  const keccak = await createKeccakHasher();
  const zero = new Uint8Array(SEGMENT_BYTES);
  const pads = padRoots(keccak);
  const levels: Uint8Array[][] = [Array.from({ length: count }, (_, i) => segmentLeaf(keccak, i, zero))];
  for (let h = 0; levels[h].length > 1; h++) {
    const level = levels[h];
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(innerNode(keccak, level[i], level[i + 1] ?? pads[h]));
    levels.push(next);
  }
  const proof = (index: number) => levels.slice(0, -1).map((level, h) => ethers.hexlify(level[(index >> h) ^ 1] ?? pads[h]));
  return { keccak, root: ethers.hexlify(levels[levels.length - 1][0]), proof, segment: ethers.hexlify(zero) };
}

async function main(): Promise<void> {
  const results: Record<string, number> = {};
  const f = await deployMarket({}, 'Marketplace');
  const { market } = f;
  const [owner] = f.owners;
  const slots = 6;

  // Opening: the owner has a deal already (its list of deals is non-empty, the market holds tokens).
  results.openDeal1MiBFirst = await gasOf(market.connect(owner).openDeal(randomDealId(), slots, MiB / 4, 100, PRICE));
  results.openDeal1MiB = await gasOf(market.connect(owner).openDeal(randomDealId(), slots, MiB / 4, 100, PRICE));
  results.openDeal10GiB = await gasOf(market.connect(owner).openDeal(randomDealId(), slots, (10 * GiB) / 4, 100, PRICE));

  // A deal of 256 MiB slots, all columns the same zero bytes (the contract cannot tell).
  const count = (256 * MiB) / SEGMENT_BYTES;
  const tree = await zeroSlotTree(count);
  const slotLeaves = Array.from({ length: slots }, (_, c) => slotRootLeaf(tree.keccak, c, ethers.getBytes(tree.root)));
  const dealId = randomDealId();
  await market.connect(owner).openDeal(dealId, slots, 256 * MiB, 100, PRICE);
  const dealRoot = ethers.hexlify(rootOfLeaves(tree.keccak, slotLeaves));
  results.commitRoot = await gasOf(market.connect(owner).commitRoot(dealId, dealRoot, count));

  const deadline = BigInt(await time.latest()) + 3_600n;
  const fill = async (column: number, peerIndex: number) => {
    const peer = f.peers[peerIndex];
    const signature = await signAssignment(market, owner, { dealId, column, peer: peer.address, deadline });
    const rootProof = proofOfLeaves(tree.keccak, slotLeaves, column).map((n) => ethers.hexlify(n));
    return gasOf(market.connect(peer).fillSlot(dealId, column, tree.root, rootProof, deadline, signature));
  };
  results.fillSlotFirst = await fill(0, 0); // peer 0's first slot: its locked stake and ledger go from zero
  results.fillSlot = await fill(1, 0); // peer 0 already holds a slot
  await fill(2, 1); // never proves
  await fill(3, 2); // proves the first epoch, then loses its data

  const start = (await market.deal(dealId)).startEpoch;
  const prove = async (column: number, epoch: bigint) => {
    const slotId = slotIdOf(dealId, column);
    const { segmentIndex } = await market.challengeOf(slotId, epoch);
    return gasOf(market.connect(f.peers[0]).submitProof(slotId, tree.segment, tree.proof(Number(segmentIndex))));
  };
  await enterEpochWithSeed(f, start);
  results.submitProofFirst = await prove(0, start); // first proof of the fill: its proof-bit word goes from zero
  await prove(1, start);
  await prove(3, start);
  await enterEpochWithSeed(f, start + 1n);
  results.submitProof = await prove(0, start + 1n);
  // Columns 2 and 3 miss epoch start+1. Column 2 never proved (its proof-bit word goes from zero) and
  // its miss is the marker's first (its credit, and here the registry's forfeited total, go from zero);
  // column 3 proved `start`, in the same word.
  await enterEpochWithSeed(f, start + 2n);
  await prove(0, start + 2n);
  const marker = f.others[0];
  results.markProofMissingFirst = await gasOf(market.connect(marker).markProofMissing(slotIdOf(dealId, 2), start + 1n));
  results.markProofMissing = await gasOf(market.connect(marker).markProofMissing(slotIdOf(dealId, 3), start + 1n));
  // The marker, holding tokens already, withdraws both rewards from the registry.
  await f.token.connect(f.admin).transfer(marker.address, 1n);
  results.withdrawCredit = await gasOf(f.registry.connect(marker).withdrawCredit());

  // Claim: column 1 proved only `start`, so start+1 and start+2 settle through seed reads.
  await enterEpochWithSeed(f, start + 3n);
  await mine(1);
  // The peer's first claim (its token balance goes from zero): 1 proven epoch, 2 settled through seed reads.
  results.claimFirst = await gasOf(market.connect(f.peers[0]).claim(slotIdOf(dealId, 1)));
  // A usual claim: 3 proven epochs, the peer already holds tokens.
  results.claim = await gasOf(market.connect(f.peers[0]).claim(slotIdOf(dealId, 0)));
  await goToEpoch(f, start + 13n);
  results.claim10Epochs = await gasOf(market.connect(f.peers[0]).claim(slotIdOf(dealId, 0))); // 10 epochs, no seed fixed

  const out = path.join(hre.config.paths.root, 'bench', 'results', 'gas.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  const rows = Object.entries(results).map(([operation, gas]) => ({
    operation,
    gasUsed: gas,
    goal: GOALS[operation] ?? '',
    ok: GOALS[operation] === undefined ? '' : gas <= GOALS[operation] ? 'yes' : 'NO',
  }));
  console.table(rows);
  console.log(`written to ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
