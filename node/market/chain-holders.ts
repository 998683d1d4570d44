import type { Address, Chain, PublicClient, Transport } from 'viem';
import { peerRegistryAbi } from '../../protocol/chain/generated/abis';
import { readDeal, readSlot, SLOT_STATE } from '../../protocol/chain/market';
import { type FileId, type SlotId, slotIdOf } from '../../protocol/ids';

/** One column's holder as the chain names it: the filled slot's peer and the peer's registered endpoint. */
export interface DealHolder {
  column: number;
  slotId: SlotId;
  operator: Address;
  /** As the operator registered it; untrusted (readers apply their own endpoint policy). */
  endpoint: string;
}

/** Where the node learns who holds a deal's columns (for the share page, which cannot read the chain itself). */
export interface HolderSource {
  /** The holders of the deal's filled slots, by column; undefined when the chain knows no such deal. */
  holders(dealId: FileId): Promise<DealHolder[] | undefined>;
}

/**
 * A `HolderSource` reading the Marketplace (`deal`, then `slot` per column) and the PeerRegistry
 * (`peer(address).endpoint`) with `eth_call`s, as client/deal/read-holders.ts does, each deal's
 * answer cached for `ttlMs` (default 5 s) so a page refresh or a crowd opening one link costs one
 * round of reads; concurrent asks share the pending one; failures are not cached.
 *
 * @example
 * const holders = createChainHolders({ publicClient }, { market, registry });
 * const list = await holders.holders(dealId); // [{ column: 0, slotId, operator, endpoint: 'https://…' }, …]
 */
export function createChainHolders(
  deps: { publicClient: Pick<PublicClient<Transport, Chain | undefined>, 'readContract'>; now?: () => number },
  params: { market: Address; registry: Address; ttlMs?: number; maxEntries?: number },
): HolderSource {
  const now = deps.now ?? Date.now;
  const ttlMs = params.ttlMs ?? 5_000;
  const maxEntries = params.maxEntries ?? 1024;
  const cache = new Map<string, { at: number; value: Promise<DealHolder[] | undefined> }>();

  const load = async (dealId: FileId): Promise<DealHolder[] | undefined> => {
    const deal = await readDeal(deps, { market: params.market, dealId });
    if (!deal) return undefined;
    const slots = await Promise.all(
      Array.from({ length: deal.slots }, (_, column) => readSlot(deps, { market: params.market, slotId: slotIdOf(dealId, column) })),
    );
    const filled = slots.filter((s) => s.state === SLOT_STATE.Filled);
    const endpoints = new Map<Address, Promise<string>>();
    const endpointOf = (peer: Address) => {
      let p = endpoints.get(peer);
      if (!p) {
        p = deps.publicClient.readContract({ address: params.registry, abi: peerRegistryAbi, functionName: 'peer', args: [peer] }).then((r) => r.endpoint);
        endpoints.set(peer, p);
      }
      return p;
    };
    return Promise.all(filled.map(async (s) => ({ column: s.column, slotId: s.slotId as SlotId, operator: s.peer, endpoint: await endpointOf(s.peer) })));
  };

  return {
    holders(dealId) {
      const key = dealId.toLowerCase();
      const hit = cache.get(key);
      if (hit && now() - hit.at < ttlMs) return hit.value;
      if (cache.size >= maxEntries) {
        for (const [k, v] of cache) if (now() - v.at >= ttlMs) cache.delete(k);
        if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
      }
      const value = load(dealId);
      cache.set(key, { at: now(), value });
      value.catch(() => {
        if (cache.get(key)?.value === value) cache.delete(key);
      });
      return value;
    },
  };
}
