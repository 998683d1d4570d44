import type { Address, LocalAccount } from 'viem';
import { assignmentTypedData, formatAssignmentHeader } from '../../protocol/chain/market';
import type { FileId } from '../../protocol/ids';

/** A signed slot assignment, ready for the `x-dhost-assignment` header. */
export interface SignedAssignment {
  column: number;
  peer: Address;
  /** Unix seconds; the peer must fill the slot by then. */
  deadline: bigint;
  /** `<deadline>.<0x signature>`. */
  header: string;
}

/**
 * Signs, as the deal's owner, the EIP-712 Assignment of one column of a deal to one peer until
 * `deadline` (domain `dhost Marketplace`, version 1, this chain, the Marketplace), and formats it
 * for the `x-dhost-assignment` header of the column's writes. The peer passes the same signature to
 * `fillSlot`.
 *
 * @example
 * const a = await signAssignment({ account, chainId, market }, { dealId, column: 0, peer: operator, deadline: now + 600n });
 * headers[ASSIGNMENT_HEADER] = a.header;
 */
export async function signAssignment(
  deps: { account: Pick<LocalAccount, 'signTypedData'>; chainId: number; market: Address },
  params: { dealId: FileId; column: number; peer: Address; deadline: bigint },
): Promise<SignedAssignment> {
  const signature = await deps.account.signTypedData(assignmentTypedData({ chainId: deps.chainId, market: deps.market, ...params }));
  return { column: params.column, peer: params.peer, deadline: params.deadline, header: formatAssignmentHeader({ deadline: params.deadline, signature }) };
}
