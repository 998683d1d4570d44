import { type Address, type Hex, parseSignature } from 'viem';
import { rewardTokenAbi } from '../../protocol/chain/generated/abis';
import type { ChainReader, ChainWriter } from './chain-deps';

/** An EIP-2612 permit split for a contract call. */
export interface PermitSignature {
  deadline: bigint;
  v: number;
  r: Hex;
  s: Hex;
}

/**
 * Signs an EIP-2612 permit letting `spender` pull `value` of the token from the wallet's account,
 * on the token's own EIP-712 domain (its `name()`, version "1", the chain id, the token address)
 * with its current `nonces(owner)`.
 *
 * @example
 * const permit = await signPermit({ publicClient, walletClient }, { token, spender: market, value: escrow, deadline: now + 600n });
 */
export async function signPermit(
  deps: { publicClient: ChainReader; walletClient: ChainWriter },
  params: { token: Address; spender: Address; value: bigint; deadline: bigint; chainId: number },
): Promise<PermitSignature> {
  const owner = deps.walletClient.account.address;
  const [name, nonce] = await Promise.all([
    deps.publicClient.readContract({ address: params.token, abi: rewardTokenAbi, functionName: 'name' }),
    deps.publicClient.readContract({ address: params.token, abi: rewardTokenAbi, functionName: 'nonces', args: [owner] }),
  ]);
  const signature = await deps.walletClient.signTypedData({
    account: deps.walletClient.account,
    domain: { name, version: '1', chainId: params.chainId, verifyingContract: params.token },
    types: {
      Permit: [
        { name: 'owner', type: 'address' },
        { name: 'spender', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint256' },
      ],
    },
    primaryType: 'Permit',
    message: { owner, spender: params.spender, value: params.value, nonce, deadline: params.deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return { deadline: params.deadline, r, s, v: v !== undefined ? Number(v) : yParity + 27 };
}
