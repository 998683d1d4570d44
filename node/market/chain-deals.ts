import type { Address, Chain, Hex, PublicClient, Transport } from 'viem';
import { type DealView, marketAbi, readDeal, readDelegation, readTokenRevoked } from '../../protocol/chain/market';

/** What the node asks the chain about deals when it accepts a write. */
export interface DealSource {
  /** The deal, or undefined when the chain knows no deal with that id; `fresh` skips the cache (and refreshes it). */
  getDeal(dealId: Hex, options?: { fresh?: boolean }): Promise<DealView | undefined>;
  /** The Marketplace's current epoch. */
  currentEpoch(): Promise<bigint>;
  /** The permission bits `owner` granted `delegate` on chain (0: none). */
  delegation(owner: Address, delegate: Address): Promise<number>;
  /** Whether the owner revoked this retrieval token (its nonce, or all tokens issued up to a revoke-all). */
  tokenRevoked(dealId: Hex, nonce: Hex, issuedAt: bigint): Promise<boolean>;
  /** The newest block's timestamp, unix seconds: the clock revocations are recorded by. */
  chainTime(): Promise<bigint>;
}

/**
 * A `DealSource` reading the Marketplace with standard `eth_call`s, caching each answer (deals,
 * delegations, token revocations) for `ttlMs` (default 3 s: a revocation takes effect within that) so that a burst of shard PUTs for one deal costs one round trip; concurrent
 * asks share the pending call. Failures are not cached.
 *
 * @example
 * const deals = createChainDeals({ publicClient }, { market: deployment.contracts.Marketplace });
 * const deal = await deals.getDeal(dealId);
 */
export function createChainDeals(
  deps: { publicClient: Pick<PublicClient<Transport, Chain | undefined>, 'readContract' | 'getBlock'>; now?: () => number },
  params: { market: Address; ttlMs?: number },
): DealSource {
  const now = deps.now ?? Date.now;
  const ttlMs = params.ttlMs ?? 3_000;
  const cache = new Map<string, { at: number; value: Promise<unknown> }>();
  const cached = <T>(key: string, load: () => Promise<T>, fresh = false): Promise<T> => {
    const hit = cache.get(key);
    if (hit && !fresh && now() - hit.at < ttlMs) return hit.value as Promise<T>;
    // Bounded: drop expired entries whenever the map grows past a few hundred deals.
    if (cache.size > 512) for (const [k, v] of cache) if (now() - v.at >= ttlMs) cache.delete(k);
    const value = load();
    cache.set(key, { at: now(), value });
    value.catch(() => {
      if (cache.get(key)?.value === value) cache.delete(key);
    });
    return value;
  };
  return {
    getDeal: (dealId, options) => cached(`deal:${dealId.toLowerCase()}`, () => readDeal(deps, { market: params.market, dealId }), options?.fresh === true),
    currentEpoch: () =>
      cached('epoch', () => deps.publicClient.readContract({ address: params.market, abi: marketAbi, functionName: 'currentEpoch' }) as Promise<bigint>),
    delegation: (owner, delegate) =>
      cached(`delegation:${owner.toLowerCase()}:${delegate.toLowerCase()}`, () => readDelegation(deps, { market: params.market, owner, delegate })),
    chainTime: () => cached('time', async () => (await deps.publicClient.getBlock({ blockTag: 'latest' })).timestamp),
    tokenRevoked: (dealId, nonce, issuedAt) =>
      cached(`revoked:${dealId.toLowerCase()}:${nonce.toLowerCase()}:${issuedAt}`, () =>
        readTokenRevoked(deps, { market: params.market, dealId, nonce, issuedAt }),
      ),
  };
}
