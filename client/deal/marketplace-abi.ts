/**
 * The Marketplace ABI for the client's viem calls: the constant generated from the build
 * (protocol/chain/generated/abis.ts, written by `npx hardhat compile`), with its custom errors, so
 * reverts decode by name.
 *
 * @example
 * const [ids, total] = await publicClient.readContract({ address: market, abi: marketplaceAbi, functionName: 'dealsOf', args: [owner, 0n, 100n] });
 */
export { marketplaceAbi } from '../../protocol/chain/generated/abis';
