import type { Address, Chain, PublicClient, Transport } from 'viem';
import { peerRegistryAbi } from './generated/abis';

/**
 * A peer as `PeerRegistry` records it.
 */
export interface PeerRecord {
  /** The operator's address: the node's signing key and the stake's owner. */
  operator: Address;
  /** Public base URL of the node's HTTP API, e.g. `https://node1.example.org:7001`. */
  endpoint: string;
  /** Bytes the operator offers. */
  capacity: bigint;
  /** Reward-token wei asked per GiB per epoch. */
  pricePerGiBEpoch: bigint;
  stake: bigint;
  lockedStake: bigint;
  registeredAt: bigint;
  lastHeartbeat: bigint;
  /** 0 while the peer is not exiting. */
  exitRequestedAt: bigint;
}

/**
 * The registry's active peers page by page (`activePeers(offset, limit)`), one `eth_call` per page of
 * `pageSize` registered peers (default 200): a page that ends before `offset + pageSize` is the last,
 * so P registered peers take ⌈P / pageSize⌉ calls (one more when P is a multiple of the page). A
 * page may hold fewer peers than `pageSize`, or none: the registry skips inactive ones.
 *
 * @example
 * for await (const page of activePeerPages({ publicClient }, { registry })) console.log(page.length);
 */
export async function* activePeerPages(
  deps: { publicClient: PublicClient<Transport, Chain | undefined> },
  params: { registry: Address; pageSize?: number; signal?: AbortSignal },
): AsyncGenerator<PeerRecord[]> {
  const pageSize = BigInt(Math.max(1, params.pageSize ?? 200));
  let offset = 0n;
  for (;;) {
    params.signal?.throwIfAborted();
    const [page, next] = await deps.publicClient.readContract({
      address: params.registry,
      abi: peerRegistryAbi,
      functionName: 'activePeers',
      args: [offset, pageSize],
    });
    if (page.length > 0) yield page.map((p) => ({ ...p }));
    // `next` is min(offset + pageSize, peerCount): short of a full page means the list ended.
    if (next < offset + pageSize) break;
    offset = next;
  }
}

/**
 * Reads every active peer from the registry, page by page (`activePeerPages`), with standard
 * `eth_call`s only: ⌈P / 200⌉ calls for P registered peers.
 *
 * @example
 * const peers = await readActivePeers({ publicClient }, { registry: deployment.contracts.PeerRegistry });
 */
export async function readActivePeers(
  deps: { publicClient: PublicClient<Transport, Chain | undefined> },
  params: { registry: Address; pageSize?: number; signal?: AbortSignal },
): Promise<PeerRecord[]> {
  const out: PeerRecord[] = [];
  for await (const page of activePeerPages(deps, params)) out.push(...page);
  return out;
}
