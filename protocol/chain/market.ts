import { type Address, type Chain, getAddress, type Hex, type PublicClient, type Transport, zeroAddress } from 'viem';
import { InvalidInputError } from '../errors';
import { marketplaceAbi } from './generated/abis';

/**
 * The Marketplace ABI (generated from the build as `marketplaceAbi`), under the name node code uses.
 *
 * @example
 * await publicClient.readContract({ address: market, abi: marketAbi, functionName: 'currentEpoch' });
 */
export const marketAbi = marketplaceAbi;

/** A deal as the Marketplace records it (`deal(id)`), with its id. */
export interface DealView {
  dealId: Hex;
  owner: Address;
  slots: number;
  bytesPerSlot: bigint;
  durationEpochs: number;
  pricePerSlotEpoch: bigint;
  startEpoch: bigint;
  /** Exclusive: the deal runs while `currentEpoch < endEpoch`. */
  endEpoch: bigint;
  /** Zero until the owner commits the deal root. */
  root: Hex;
  segmentCount: bigint;
  escrow: bigint;
  repairFund: bigint;
  cancelled: boolean;
}

/** The states of a slot (`enum SlotState`). */
export const SLOT_STATE = { Empty: 0, Filled: 1, Freed: 2, Finished: 3 } as const;
/** A slot's state number. */
export type SlotStateNumber = (typeof SLOT_STATE)[keyof typeof SLOT_STATE];

/** A slot as the Marketplace records it (`slot(id)`), with its id. */
export interface SlotView {
  slotId: Hex;
  dealId: Hex;
  column: number;
  /** Zero while the slot is empty. */
  peer: Address;
  fillEpoch: bigint;
  settledThrough: bigint;
  misses: number;
  collateral: bigint;
  state: SlotStateNumber;
}

type MarketReader = { publicClient: Pick<PublicClient<Transport, Chain | undefined>, 'readContract'> };

/** A `Deal` struct as viem decodes it from the Marketplace ABI (`deal`, `dealRecordsOf`): a `DealView` without its id. */
export type RawDeal = Omit<DealView, 'dealId'>;

/**
 * A decoded `Deal` struct as a `DealView`; undefined when no deal has that id (its owner is the zero
 * address).
 *
 * @example
 * const view = toDealView(dealId, await publicClient.readContract({ address: market, abi: marketAbi, functionName: 'deal', args: [dealId] }));
 */
export function toDealView(dealId: Hex, d: RawDeal): DealView | undefined {
  if (d.owner === zeroAddress) return undefined;
  return {
    dealId,
    owner: getAddress(d.owner),
    slots: Number(d.slots),
    bytesPerSlot: d.bytesPerSlot,
    durationEpochs: Number(d.durationEpochs),
    pricePerSlotEpoch: d.pricePerSlotEpoch,
    startEpoch: d.startEpoch,
    endEpoch: d.endEpoch,
    root: d.root,
    segmentCount: d.segmentCount,
    escrow: d.escrow,
    repairFund: d.repairFund,
    cancelled: d.cancelled,
  };
}

/**
 * Reads a deal from the Marketplace (one `eth_call`); undefined when no deal has that id (its
 * owner is the zero address).
 *
 * @example
 * const deal = await readDeal({ publicClient }, { market: deployment.contracts.Marketplace, dealId });
 * if (deal && !deal.cancelled) console.log(`ends at epoch ${deal.endEpoch}`);
 */
export async function readDeal(deps: MarketReader, p: { market: Address; dealId: Hex }): Promise<DealView | undefined> {
  return toDealView(p.dealId, await deps.publicClient.readContract({ address: p.market, abi: marketAbi, functionName: 'deal', args: [p.dealId] }));
}

/**
 * Reads a slot from the Marketplace (one `eth_call`). An unknown slot reads as `Empty` with zero fields.
 *
 * @example
 * const slot = await readSlot({ publicClient }, { market, slotId });
 * if (slot.state === SLOT_STATE.Filled) console.log(`held by ${slot.peer}`);
 */
export async function readSlot(deps: MarketReader, p: { market: Address; slotId: Hex }): Promise<SlotView> {
  const s = await deps.publicClient.readContract({ address: p.market, abi: marketAbi, functionName: 'slot', args: [p.slotId] });
  return {
    slotId: p.slotId,
    dealId: s.dealId,
    column: Number(s.column),
    peer: getAddress(s.peer),
    fillEpoch: s.fillEpoch,
    settledThrough: s.settledThrough,
    misses: Number(s.misses),
    collateral: s.collateral,
    state: Number(s.state) as SlotStateNumber,
  };
}

/** EIP-712 types of a slot assignment, exactly as the Marketplace hashes them. */
export const ASSIGNMENT_TYPES = {
  Assignment: [
    { name: 'dealId', type: 'bytes32' },
    { name: 'column', type: 'uint16' },
    { name: 'peer', type: 'address' },
    { name: 'deadline', type: 'uint64' },
  ],
} as const;

/**
 * The EIP-712 typed data of an Assignment (the owner assigns column `column` of deal `dealId` to
 * `peer` until `deadline`, unix seconds), in the shape viem's `signTypedData`,
 * `verifyTypedData` and `recoverTypedDataAddress` take.
 *
 * @example
 * const typed = assignmentTypedData({ chainId: 31337, market, dealId, column: 0, peer, deadline: 1_800_000_000n });
 * const signature = await owner.signTypedData(typed);
 * const signer = await recoverTypedDataAddress({ ...typed, signature }); // owner.address
 */
export function assignmentTypedData(p: { chainId: number; market: Address; dealId: Hex; column: number; peer: Address; deadline: bigint }) {
  return {
    domain: { name: 'dhost Marketplace', version: '1', chainId: p.chainId, verifyingContract: p.market },
    types: ASSIGNMENT_TYPES,
    primaryType: 'Assignment' as const,
    message: { dealId: p.dealId, column: p.column, peer: p.peer, deadline: p.deadline },
  };
}

/** The request header carrying the owner's assignment of a slot to the node a write is sent to. */
export const ASSIGNMENT_HEADER = 'x-dhost-assignment';

/** An assignment as it travels: its deadline (unix seconds) and the owner's EIP-712 signature. */
export interface AssignmentProof {
  deadline: bigint;
  signature: Hex;
}

const MAX_UINT64 = 2n ** 64n - 1n;

/**
 * Formats the `x-dhost-assignment` header: `<deadline>.<0x signature>`.
 *
 * @example
 * headers[ASSIGNMENT_HEADER] = formatAssignmentHeader({ deadline: 1_800_000_000n, signature });
 */
export function formatAssignmentHeader(p: AssignmentProof): string {
  return `${p.deadline}.${p.signature}`;
}

/**
 * Parses the `x-dhost-assignment` header; throws `InvalidInputError` unless it is a decimal
 * uint64 deadline, a dot and a 65-byte 0x-hex signature.
 *
 * @example
 * const { deadline, signature } = parseAssignmentHeader(c.req.header(ASSIGNMENT_HEADER) ?? '');
 */
export function parseAssignmentHeader(text: string): AssignmentProof {
  const match = /^(0|[1-9][0-9]{0,19})\.(0x[0-9a-fA-F]{130})$/.exec(text.trim());
  const deadline = match ? BigInt(match[1]) : undefined;
  if (!match || deadline === undefined || deadline > MAX_UINT64) {
    throw new InvalidInputError(`${ASSIGNMENT_HEADER} must be <deadline>.<0x 65-byte signature>`, { details: { header: text.slice(0, 200) } });
  }
  return { deadline, signature: match[2].toLowerCase() as Hex };
}

/**
 * The permission bits `owner` granted `delegate` (`Marketplace.delegation`; 0: none). See
 * `PERMISSION` in protocol/retrieval-token.ts.
 *
 * @example
 * const bits = await readDelegation({ publicClient }, { market, owner, delegate });
 * const mayRepair = (bits & PERMISSION.repair) !== 0;
 */
export async function readDelegation(deps: MarketReader, p: { market: Address; owner: Address; delegate: Address }): Promise<number> {
  return Number(await deps.publicClient.readContract({ address: p.market, abi: marketAbi, functionName: 'delegation', args: [p.owner, p.delegate] }));
}

/**
 * Whether the owner revoked a retrieval token on chain: its nonce alone, or every token of the deal
 * issued at or before the last `revokeAllTokens` (`Marketplace.tokenRevoked`).
 *
 * @example
 * if (await readTokenRevoked({ publicClient }, { market, dealId, nonce, issuedAt })) refuse();
 */
export async function readTokenRevoked(deps: MarketReader, p: { market: Address; dealId: Hex; nonce: Hex; issuedAt: bigint }): Promise<boolean> {
  return await deps.publicClient.readContract({ address: p.market, abi: marketAbi, functionName: 'tokenRevoked', args: [p.dealId, p.nonce, p.issuedAt] });
}

/**
 * When the owner last revoked every retrieval token of a deal (unix seconds; 0: never): tokens
 * issued at or before it are refused (`Marketplace.tokensValidAfter`).
 *
 * @example
 * const issuedAt = BigInt(Math.max(now, Number(await readTokensValidAfter({ publicClient }, { market, dealId })) + 1));
 */
export async function readTokensValidAfter(deps: MarketReader, p: { market: Address; dealId: Hex }): Promise<bigint> {
  return BigInt(await deps.publicClient.readContract({ address: p.market, abi: marketAbi, functionName: 'tokensValidAfter', args: [p.dealId] }));
}
