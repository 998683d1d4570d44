import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import {
  type Address,
  bytesToHex,
  type Chain,
  createPublicClient,
  createWalletClient,
  type Hex,
  hexToBytes,
  http,
  type PrivateKeyAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { fundAccounts } from '../../../cli/devnet/fund';
import { putSlotCommit } from '../../../client/transport/put-slot-commit';
import { createChainDeals, type DealSource } from '../../../node/market/chain-deals';
import { marketplaceAddress } from '../../../node/market/marketplace-address';
import { chainFor } from '../../../protocol/chain/connect';
import type { Deployment } from '../../../protocol/chain/deployment';
import { rewardTokenAbi } from '../../../protocol/chain/generated/abis';
import { assignmentTypedData, formatAssignmentHeader, marketAbi } from '../../../protocol/chain/market';
import { MANIFEST_INDEX, type ShardIndex } from '../../../protocol/column';
import { type FileId, randomFileId, slotIdOf } from '../../../protocol/ids';
import { createKeccakHasher, dealRootOf, SegmentTreeBuilder, slotRootProof } from '../../../protocol/merkle';
import { type DhostParameters, deployDhost } from '../../hardhat/deploy-dhost';
import { hardhatKey, startRpcServer } from '../chain';
import { signedShardPut } from './shard-requests';

/*
 * A real chain for node tests: the in-process Hardhat network with the dhost contracts deployed,
 * served over HTTP JSON-RPC, and helpers that act as a deal owner does (open a deal, sign an
 * assignment, commit a root). Lives outside test/ because Hardhat loads every file there as a test.
 */

/** The deployed contracts on the test chain, and clients to reach them. */
export interface MarketChain {
  rpcUrl: string;
  chainId: number;
  chain: Chain;
  deployment: Deployment;
  market: Address;
  publicClient: PublicClient<Transport, Chain>;
  /** A wallet client for a Hardhat development account (funded with tokens by `fundOwner`). */
  wallet(key: Hex): WalletClient<Transport, Chain, PrivateKeyAccount>;
  close(): Promise<void>;
}

/**
 * Deploys dhost (RewardToken, PeerRegistry, Marketplace) on the in-process Hardhat network with
 * `params` and serves it over HTTP JSON-RPC.
 *
 * @example
 * const chain = await startMarketChain(hre);
 * // … chain.rpcUrl, chain.market …
 * await chain.close();
 */
export async function startMarketChain(hre: HardhatRuntimeEnvironment, params: DhostParameters = {}): Promise<MarketChain> {
  const rpc = await startRpcServer(hre);
  const { deployment } = await deployDhost(hre, params);
  return marketChainOf({ rpcUrl: rpc.rpcUrl, deployment, close: rpc.close });
}

/**
 * A `MarketChain` for a deployment already made on a chain served at `rpcUrl`.
 *
 * @example
 * const chain = marketChainOf({ rpcUrl: rpc.rpcUrl, deployment, close: async () => {} });
 */
export function marketChainOf(p: { rpcUrl: string; deployment: Deployment; close: () => Promise<void> }): MarketChain {
  const chain = chainFor({ chainId: p.deployment.chainId, rpcUrl: p.rpcUrl });
  const transport = http(p.rpcUrl);
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 });
  return {
    rpcUrl: p.rpcUrl,
    chainId: p.deployment.chainId,
    chain,
    deployment: p.deployment,
    market: marketplaceAddress(p.deployment),
    publicClient,
    wallet: (key) => createWalletClient({ chain, transport, account: privateKeyToAccount(key), pollingInterval: 50 }),
    close: p.close,
  };
}

/**
 * Sends `tokens` reward tokens and 10 ETH (keys beyond Hardhat's 20 funded accounts need gas) from
 * the deployer (account 0) to each key's address.
 *
 * @example
 * await fundOwners(chain, [hardhatKey(12)]);
 */
export async function fundOwners(chain: MarketChain, keys: Hex[], tokens = 1_000_000n * 10n ** 18n): Promise<void> {
  await fundAccounts(
    { publicClient: chain.publicClient, chain: chain.chain },
    {
      funderKey: hardhatKey(0),
      token: chain.deployment.contracts.RewardToken,
      recipients: keys.map((k) => privateKeyToAccount(k).address),
      tokens,
      eth: '10',
    },
  );
}

/**
 * Opens a deal as `ownerKey` (approving the escrow first) and returns its id.
 *
 * @example
 * const dealId = await openTestDeal(chain, { ownerKey, slots: 2, bytesPerSlot: 1n << 20n, durationEpochs: 10 });
 */
export async function openTestDeal(
  chain: MarketChain,
  p: { ownerKey: Hex; slots: number; bytesPerSlot: bigint; durationEpochs: number; pricePerSlotEpoch?: bigint; dealId?: FileId },
): Promise<FileId> {
  const wallet = chain.wallet(p.ownerKey);
  const dealId = p.dealId ?? randomFileId();
  const price = p.pricePerSlotEpoch ?? 10n ** 15n;
  const escrow = BigInt(p.slots) * BigInt(p.durationEpochs) * price;
  const approve = await wallet.writeContract({
    address: chain.deployment.contracts.RewardToken,
    abi: rewardTokenAbi,
    functionName: 'approve',
    args: [chain.market, escrow],
  });
  await chain.publicClient.waitForTransactionReceipt({ hash: approve });
  const open = await wallet.writeContract({
    address: chain.market,
    abi: marketAbi,
    functionName: 'openDeal',
    args: [dealId, p.slots, p.bytesPerSlot, p.durationEpochs, price],
  });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash: open });
  if (receipt.status !== 'success') throw new Error(`openDeal reverted (${open})`);
  return dealId;
}

/**
 * The owner's `x-dhost-assignment` header assigning `column` of `dealId` to `peer` until `deadline`.
 *
 * @example
 * headers['x-dhost-assignment'] = await signTestAssignment(chain, { ownerKey, dealId, column: 0, peer: node, deadline });
 */
export async function signTestAssignment(
  chain: Pick<MarketChain, 'chainId' | 'market'>,
  p: { ownerKey: Hex; dealId: Hex; column: number; peer: Address; deadline: bigint },
): Promise<{ header: string; signature: Hex }> {
  const owner = privateKeyToAccount(p.ownerKey);
  const signature = await owner.signTypedData(
    assignmentTypedData({ chainId: chain.chainId, market: chain.market, dealId: p.dealId, column: p.column, peer: p.peer, deadline: p.deadline }),
  );
  return { header: formatAssignmentHeader({ deadline: p.deadline, signature }), signature };
}

/** Who writes to a node in a test: the deal owner's key and the node written to. */
export interface DealWriter {
  chain: Pick<MarketChain, 'chainId' | 'market'>;
  /** The deal owner's key: signs the request and the assignment unless overridden. */
  ownerKey: Hex;
  /** The node's operator address (signed requests and assignments name it). */
  node: Address;
}

/**
 * A signed shard PUT as a client sends it for a deal: signed by the owner, with the owner's
 * assignment of the target's column to the node (deadline one hour from now unless given).
 * `signerKey`, `assignment.signerKey`, `assignment.peer` and `assignment: null` build refusals.
 *
 * @example
 * const put = await assignedShardPut(writer, { target: shardTarget({ fileId: dealId, column: 0, index: 0 }), body });
 * const res = await app.request(put.path, put.init);
 */
export async function assignedShardPut(
  writer: DealWriter,
  params: Parameters<typeof signedShardPut>[1] & {
    signerKey?: Hex;
    assignment?: { deadline?: bigint; peer?: Address; signerKey?: Hex; column?: number } | null;
  },
): ReturnType<typeof signedShardPut> {
  const { signerKey, assignment, ...rest } = params;
  const headers: Record<string, string> = { ...rest.headers };
  if (assignment !== null) {
    const a = assignment ?? {};
    const { header } = await signTestAssignment(writer.chain, {
      ownerKey: a.signerKey ?? writer.ownerKey,
      dealId: rest.target.fileId,
      column: a.column ?? rest.target.column,
      peer: a.peer ?? writer.node,
      deadline: a.deadline ?? BigInt(Math.floor(Date.now() / 1000) + 3600),
    });
    headers['x-dhost-assignment'] = header;
  }
  return signedShardPut({ account: privateKeyToAccount(signerKey ?? writer.ownerKey), node: writer.node, chainId: writer.chain.chainId }, { ...rest, headers });
}

/**
 * The `deals` and `marketAddress` a node app needs, reading the test chain (the node's own
 * chain-backed source, with its short cache).
 *
 * @example
 * const app = createNodeApp({ ...nodeStore, identity, limits, ...chainDealDeps(chain) });
 */
export function chainDealDeps(chain: Pick<MarketChain, 'publicClient' | 'market'>): { deals: DealSource; marketAddress: Address } {
  return { deals: createChainDeals({ publicClient: chain.publicClient }, { market: chain.market }), marketAddress: chain.market };
}

/**
 * Waits until `check` returns a value other than undefined, polling every `everyMs`; fails after
 * `attempts` polls with `what` in the message (a bound on waiting, not a timing assertion).
 *
 * @example
 * const slot = await eventually('the slot is filled', async () => { const s = await readSlot(…); return s.state === 1 ? s : undefined; });
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, p: { everyMs?: number; attempts?: number } = {}): Promise<T> {
  const attempts = p.attempts ?? 600;
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, p.everyMs ?? 50));
  }
  throw new Error(`gave up waiting until ${what}`);
}

/**
 * The later of the chain's latest block time and the wall clock, in unix seconds: assignment
 * deadlines must hold for both (the node checks the wall clock, the chain its block time, which
 * tests move forward).
 *
 * @example
 * const deadline = (await laterNow(chain)) + 86_400n;
 */
export async function laterNow(chain: Pick<MarketChain, 'publicClient'>): Promise<bigint> {
  const block = await chain.publicClient.getBlock();
  const wall = BigInt(Math.floor(Date.now() / 1000));
  return block.timestamp > wall ? block.timestamp : wall;
}

/**
 * Acts as a client for one column: PUTs shards 0..n−1 and the manifest to a running node with the
 * owner's assignment, and returns the slot root and segment count of exactly those bytes.
 *
 * @example
 * const { root, segmentCount } = await uploadColumn(writer, { url: node.url, dealId, column: 0, shards, manifest, deadline });
 */
export async function uploadColumn(
  writer: DealWriter,
  p: { url: string; dealId: FileId; column: number; shards: Uint8Array[]; manifest: Uint8Array; deadline: bigint },
): Promise<{ root: Hex; segmentCount: number }> {
  const builder = await SegmentTreeBuilder.create();
  const parts: [ShardIndex, Uint8Array][] = [...p.shards.map((s, i): [ShardIndex, Uint8Array] => [i, s]), [MANIFEST_INDEX, p.manifest]];
  for (const [index, body] of parts) {
    const put = await assignedShardPut(writer, {
      target: { fileId: p.dealId, column: p.column, index, slotId: slotIdOf(p.dealId, p.column) },
      body,
      assignment: { deadline: p.deadline },
    });
    const res = await fetch(`${p.url}${put.path}`, put.init);
    if (res.status !== 201) throw new Error(`PUT ${put.path} answered ${res.status}: ${await res.text()}`);
    builder.write(body);
  }
  const tree = builder.finish();
  return { root: bytesToHex(tree.root), segmentCount: tree.segmentCount };
}

/**
 * The slot root and segment count of a column's bytes (for columns no test node holds).
 *
 * @example
 * const { root } = await columnRoot([randomShard(1000)]);
 */
export async function columnRoot(parts: Uint8Array[]): Promise<{ root: Hex; segmentCount: number }> {
  const builder = await SegmentTreeBuilder.create();
  for (const part of parts) builder.write(part);
  const tree = builder.finish();
  return { root: bytesToHex(tree.root), segmentCount: tree.segmentCount };
}

/**
 * Commits the deal root over `slotRoots` as the deal's owner and waits for the receipt; then, for
 * each entry of `notify`, sends that node the owner's commit notice for its column (slot root and
 * proof), as the client does, and fails unless the node accepts it.
 *
 * @example
 * await commitTestRoot(chain, { ownerKey, dealId, slotRoots: [rootA, rootB], segmentCount, notify: [{ url: node.url, node: operator, column: 0 }] });
 */
export async function commitTestRoot(
  chain: MarketChain,
  p: { ownerKey: Hex; dealId: Hex; slotRoots: Hex[]; segmentCount: number; notify?: { url: string; node: Address; column: number }[] },
): Promise<void> {
  const keccak = await createKeccakHasher();
  const roots = p.slotRoots.map((r) => hexToBytes(r));
  const hash = await chain.wallet(p.ownerKey).writeContract({
    address: chain.market,
    abi: marketAbi,
    functionName: 'commitRoot',
    args: [p.dealId, bytesToHex(dealRootOf(keccak, roots)), BigInt(p.segmentCount)],
  });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`commitRoot reverted (${hash})`);
  for (const target of p.notify ?? []) {
    await putSlotCommit(
      { account: privateKeyToAccount(p.ownerKey), chainId: chain.chainId },
      {
        peer: { operator: target.node, endpoint: target.url },
        fileId: p.dealId as FileId,
        column: target.column,
        commit: {
          slotRoot: p.slotRoots[target.column],
          rootProof: slotRootProof(keccak, roots, target.column).map((n) => bytesToHex(n)),
          segmentCount: p.segmentCount,
        },
      },
    );
  }
}
