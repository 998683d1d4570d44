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
 * Reads every active peer from the registry, page by page (`activePeers(offset, limit)`), with
 * standard `eth_call`s only.
 *
 * @example
 * const peers = await readActivePeers({ publicClient }, { registry: deployment.contracts.PeerRegistry });
 */
export async function readActivePeers(
  deps: { publicClient: PublicClient<Transport, Chain | undefined> },
  params: { registry: Address; pageSize?: number; signal?: AbortSignal },
): Promise<PeerRecord[]> {
  const pageSize = BigInt(params.pageSize ?? 200);
  const out: PeerRecord[] = [];
  let offset = 0n;
  for (;;) {
    params.signal?.throwIfAborted();
    const [page, next] = await deps.publicClient.readContract({
      address: params.registry,
      abi: peerRegistryAbi,
      functionName: 'activePeers',
      args: [offset, pageSize],
    });
    for (const p of page) out.push({ ...p });
    if (next <= offset) break;
    const total = await deps.publicClient.readContract({ address: params.registry, abi: peerRegistryAbi, functionName: 'peerCount' });
    if (next >= total) break;
    offset = next;
  }
  return out;
}
