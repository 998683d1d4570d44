import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { mine, time } from '@nomicfoundation/hardhat-network-helpers';
import { ethers } from 'hardhat';
import { DHOST_DEFAULTS } from '../../../ignition/modules/Dhost';
import { createKeccakHasher, type Keccak, proofOfLeaves, rootOfLeaves, SEGMENT_BYTES, segmentLeaf, slotRootLeaf } from '../../../protocol/merkle';
import type { Marketplace, MarketplaceHarness, PeerRegistry, ReentrantToken, RewardToken } from '../../../typechain-types';

/*
 * Chain fixtures and helpers for the Marketplace tests and the gas benchmark: a deployed token,
 * registry and marketplace with funded owners and registered peers, real segment trees for small
 * slots, assignments signed the way a client signs them, and the clock moved epoch by epoch.
 * Lives outside test/ because Hardhat loads every file there as a test.
 */

export const TOKEN = 10n ** 18n;
export const EPOCH = 100n;
export const PRICE = 2n * TOKEN;
export const STAKE = 10_000n * TOKEN;

/** The MarketConfig of the tests: the deployment's defaults, with short epochs and every slot challenged in every epoch. */
export const TEST_CONFIG = {
  epochLength: EPOCH,
  challengeProbabilityPpm: 1_000_000n,
  slashPpm: DHOST_DEFAULTS.slashPpm as bigint,
  markerRewardPpm: DHOST_DEFAULTS.markerRewardPpm as bigint,
  maxMisses: DHOST_DEFAULTS.maxMisses as bigint,
  missingWindowEpochs: DHOST_DEFAULTS.missingWindowEpochs as bigint,
  collateralEpochs: DHOST_DEFAULTS.collateralEpochs as bigint,
  minCollateral: DHOST_DEFAULTS.minCollateral as bigint,
  lapseFreeSeconds: DHOST_DEFAULTS.lapseFreeSeconds as bigint,
  minFillEpochs: DHOST_DEFAULTS.minFillEpochs as bigint,
  maxClaimEpochs: DHOST_DEFAULTS.maxClaimEpochs as bigint,
  subsidyPerGiBEpoch: DHOST_DEFAULTS.subsidyPerGiBEpoch as bigint,
  subsidyCapPerPeer: DHOST_DEFAULTS.subsidyCapPerPeer as bigint,
};
export type TestConfig = typeof TEST_CONFIG;

export const REGISTRY_CONFIG = {
  minStake: 1_000n * TOKEN,
  heartbeatTimeout: 7n * 86_400n,
  evictionDelay: 14n * 86_400n,
  unbondingDelay: 86_400n,
  maxEndpointLength: 256n,
};

export interface MarketFixture {
  token: RewardToken;
  registry: PeerRegistry;
  market: MarketplaceHarness;
  genesis: bigint;
  config: TestConfig;
  admin: HardhatEthersSigner;
  owners: HardhatEthersSigner[];
  peers: HardhatEthersSigner[];
  others: HardhatEthersSigner[];
}

/**
 * Deploys token, registry and marketplace (the harness, which adds only views) with `overrides`
 * on TEST_CONFIG; funds 3 owners (approved), registers 6 peers with STAKE each.
 *
 * @example
 * const f = await deployMarket({ challengeProbabilityPpm: 0n });
 */
export async function deployMarket(
  overrides: Partial<TestConfig> = {},
  contractName: 'Marketplace' | 'MarketplaceHarness' = 'MarketplaceHarness',
): Promise<MarketFixture> {
  const [admin] = await ethers.getSigners();
  const token = await ethers.deployContract('RewardToken', [admin.address, admin.address, 10n ** 9n * TOKEN]);
  const fixture = await deployMarketOn(token, overrides, contractName);
  await token.connect(admin).grantRole(await token.MINTER_ROLE(), await fixture.market.getAddress());
  return { ...fixture, token };
}

/**
 * Deploys PeerRegistry and a marketplace on an already deployed ERC-20 held by the admin (signer
 * 0): grants the market `MARKET_ROLE`, funds 3 owners (approved) and registers 6 peers with STAKE
 * each. The reward token's `MINTER_ROLE` is the caller's business.
 *
 * @example
 * const f = await deployMarketOn(await ethers.deployContract('ReentrantToken', [admin.address, supply]));
 */
export async function deployMarketOn<T extends RewardToken | ReentrantToken>(
  token: T,
  overrides: Partial<TestConfig> = {},
  contractName: 'Marketplace' | 'MarketplaceHarness' = 'MarketplaceHarness',
): Promise<Omit<MarketFixture, 'token'> & { token: T }> {
  const signers = await ethers.getSigners();
  const [admin] = signers;
  const owners = signers.slice(1, 4);
  const peers = signers.slice(4, 10);
  const others = signers.slice(10, 14);
  const config = { ...TEST_CONFIG, ...overrides };
  const registry = await ethers.deployContract('PeerRegistry', [await token.getAddress(), REGISTRY_CONFIG, admin.address]);
  const market = (await ethers.deployContract(contractName, [
    await token.getAddress(),
    await registry.getAddress(),
    config,
    admin.address,
  ])) as unknown as MarketplaceHarness;
  const genesis = BigInt((await market.deploymentTransaction()?.getBlock())?.timestamp ?? 0);
  const marketAddress = await market.getAddress();
  await registry.connect(admin).grantRole(await registry.MARKET_ROLE(), marketAddress);
  for (const owner of owners) {
    await token.connect(admin).transfer(owner.address, 1_000_000n * TOKEN);
    await token.connect(owner).approve(marketAddress, ethers.MaxUint256);
  }
  for (const [i, peer] of peers.entries()) {
    await token.connect(admin).transfer(peer.address, STAKE);
    await token.connect(peer).approve(await registry.getAddress(), ethers.MaxUint256);
    await registry.connect(peer).register(`https://peer${i}.example.org`, 1n << 40n, TOKEN, STAKE);
  }
  return { token, registry, market, genesis, config, admin, owners, peers, others };
}

/** A deal's columns as a client builds them: bytes, segment leaves, slot roots, deal root. */
export interface DealData {
  keccak: Keccak;
  columns: { bytes: Uint8Array; leaves: Uint8Array[]; root: string }[];
  segmentCount: number;
  slotLeaves: Uint8Array[];
  root: string;
}

const hex = (bytes: Uint8Array) => ethers.hexlify(bytes);

/**
 * Random column bytes for `slots` columns of `bytesPerSlot` bytes each, with their trees.
 *
 * @example
 * const data = await dealData(6, 4096);
 */
export async function dealData(slots: number, bytesPerSlot: number): Promise<DealData> {
  const keccak = await createKeccakHasher();
  const segmentCount = Math.max(1, Math.ceil(bytesPerSlot / SEGMENT_BYTES));
  const columns = [];
  for (let c = 0; c < slots; c++) {
    const bytes = ethers.getBytes(ethers.randomBytes(bytesPerSlot));
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < segmentCount; i++) leaves.push(segmentLeaf(keccak, i, segmentOf(bytes, i)));
    columns.push({ bytes, leaves, root: hex(rootOfLeaves(keccak, leaves)) });
  }
  const slotLeaves = columns.map((column, c) => slotRootLeaf(keccak, c, ethers.getBytes(column.root)));
  return { keccak, columns, segmentCount, slotLeaves, root: hex(rootOfLeaves(keccak, slotLeaves)) };
}

/** Segment `index` of `bytes`, zero-padded to SEGMENT_BYTES. */
export function segmentOf(bytes: Uint8Array, index: number): Uint8Array {
  const out = new Uint8Array(SEGMENT_BYTES);
  out.set(bytes.subarray(index * SEGMENT_BYTES, (index + 1) * SEGMENT_BYTES));
  return out;
}

/** The siblings of column `column`'s slot-root leaf in the deal tree. */
export function rootProofOf(data: DealData, column: number): string[] {
  return proofOfLeaves(data.keccak, data.slotLeaves, column).map(hex);
}

/** The segment and proof answering a challenge of `column` at `index`. */
export function segmentProofOf(data: DealData, column: number, index: number): { segment: string; proof: string[] } {
  const { bytes, leaves } = data.columns[column];
  return { segment: hex(segmentOf(bytes, index)), proof: proofOfLeaves(data.keccak, leaves, index).map(hex) };
}

/** The owner's EIP-712 signature of Assignment(dealId, column, peer, deadline). */
export async function signAssignment(
  market: Marketplace | MarketplaceHarness,
  owner: HardhatEthersSigner,
  p: { dealId: string; column: number; peer: string; deadline: bigint },
): Promise<string> {
  const { chainId } = await ethers.provider.getNetwork();
  const domain = { name: 'dhost Marketplace', version: '1', chainId, verifyingContract: await market.getAddress() };
  const types = {
    Assignment: [
      { name: 'dealId', type: 'bytes32' },
      { name: 'column', type: 'uint16' },
      { name: 'peer', type: 'address' },
      { name: 'deadline', type: 'uint64' },
    ],
  };
  return owner.signTypedData(domain, types, { dealId: p.dealId, column: p.column, peer: p.peer, deadline: p.deadline });
}

/** The first timestamp of `epoch`. */
export function epochStart(f: Pick<MarketFixture, 'genesis' | 'config'>, epoch: bigint): bigint {
  return f.genesis + epoch * f.config.epochLength;
}

/** Mines a block at the start of `epoch` (no-op when already there or later). */
export async function goToEpoch(f: Pick<MarketFixture, 'genesis' | 'config' | 'market'>, epoch: bigint): Promise<void> {
  if ((await f.market.currentEpoch()) >= epoch) return;
  await time.increaseTo(epochStart(f, epoch));
}

/**
 * Fixes the seed block of `epoch` (from epoch - 1), moves into `epoch` and records its seed: what
 * an honest prover does at each epoch boundary.
 *
 * @example
 * await enterEpochWithSeed(f, 3n);
 */
export async function enterEpochWithSeed(f: Pick<MarketFixture, 'genesis' | 'config' | 'market'>, epoch: bigint): Promise<void> {
  await goToEpoch(f, epoch - 1n);
  await f.market.fixSeedBlock();
  await goToEpoch(f, epoch);
  if ((await f.market.seedOf(epoch)) === ethers.ZeroHash) {
    await mine(1);
    await f.market.recordSeed(epoch);
  }
}

/** A fresh random deal id. */
export function randomDealId(): string {
  return ethers.hexlify(ethers.randomBytes(32));
}

/** keccak256(abi.encode(dealId, uint256(column))). */
export function slotIdOf(dealId: string, column: number): string {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(['bytes32', 'uint256'], [dealId, column]));
}

/**
 * Opens a deal of `slots` columns of `bytesPerSlot` bytes, commits its root and has peer c fill
 * column c; returns the deal's data. Leaves the chain in the epoch of the fills.
 *
 * @example
 * const { dealId, data } = await openFilledDeal(f, { slots: 3, bytesPerSlot: 4096, duration: 10 });
 */
export async function openFilledDeal(
  f: Pick<MarketFixture, 'market' | 'owners' | 'peers'>,
  p: { slots: number; bytesPerSlot: number; duration: number; owner?: HardhatEthersSigner; fill?: number[]; price?: bigint },
): Promise<{ dealId: string; data: DealData; startEpoch: bigint }> {
  const owner = p.owner ?? f.owners[0];
  const dealId = randomDealId();
  const data = await dealData(p.slots, p.bytesPerSlot);
  await f.market.connect(owner).openDeal(dealId, p.slots, p.bytesPerSlot, p.duration, p.price ?? PRICE);
  await f.market.connect(owner).commitRoot(dealId, data.root, data.segmentCount);
  const deadline = BigInt(await time.latest()) + 3_600n;
  for (const column of p.fill ?? data.columns.map((_, c) => c)) {
    const peer = f.peers[column % f.peers.length];
    const signature = await signAssignment(f.market, owner, { dealId, column, peer: peer.address, deadline });
    await f.market.connect(peer).fillSlot(dealId, column, data.columns[column].root, rootProofOf(data, column), deadline, signature);
  }
  const startEpoch = (await f.market.deal(dealId)).startEpoch;
  return { dealId, data, startEpoch };
}
