import { keccak256 } from 'viem';
import { concatBytes, fromHex, uintBytes } from './bytes';

/**
 * A column's slot id, as protocol/ids.ts `slotIdOf`: keccak256(abi.encode(bytes32 deal id, uint256
 * column)) — the two 32-byte words concatenated.
 *
 * @example
 * slotIdOf('0x3f…', 0); // '0x9a…'
 */
export function slotIdOf(dealId: string, column: number): string {
  return keccak256(concatBytes([fromHex(dealId), uintBytes(column, 32)]));
}
