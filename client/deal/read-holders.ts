import type { Address } from 'viem';
import { peerRegistryAbi } from '../../protocol/chain/generated/abis';
import { readDeal, readSlot, SLOT_STATE } from '../../protocol/chain/market';
import { type FileId, slotIdOf } from '../../protocol/ids';
import type { ChainReader } from './chain-deps';

/** A column's holder as the chain names it. */
export interface ChainHolder {
  column: number;
  operator: Address;
  /** From the registry; untrusted (the caller applies its endpoint policy). */
  endpoint: string;
}

/**
 * The holders of a file's columns as the chain records them: the deal's filled slots
 * (`slot(slotIdOf(dealId, c)).peer`) and each peer's registered endpoint (`peer(address).endpoint`).
 * `undefined` when no deal has this id (files uploaded before deals existed).
 *
 * @example
 * const holders = await readChainHolders({ publicClient }, { market, registry, dealId: fileId });
 */
export async function readChainHolders(
  deps: { publicClient: ChainReader },
  params: { market: Address; registry: Address; dealId: FileId },
): Promise<ChainHolder[] | undefined> {
  const deal = await readDeal(deps, { market: params.market, dealId: params.dealId });
  if (!deal) return undefined;
  const slots = await Promise.all(
    Array.from({ length: deal.slots }, (_, column) => readSlot(deps, { market: params.market, slotId: slotIdOf(params.dealId, column) })),
  );
  const filled = slots.filter((s) => s.state === SLOT_STATE.Filled);
  return Promise.all(
    filled.map(async (s) => {
      const p = await deps.publicClient.readContract({ address: params.registry, abi: peerRegistryAbi, functionName: 'peer', args: [s.peer] });
      return { column: s.column, operator: s.peer, endpoint: p.endpoint };
    }),
  );
}
