import { type Hex, toHex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';

/** Hardhat's public development mnemonic: its accounts hold test ETH on every Hardhat chain. Never use on a real network. */
export const HARDHAT_MNEMONIC = 'test test test test test test test test test test test junk';

/**
 * The private key of Hardhat's development account `index` (0 deploys; the devnet gives 1..8 to
 * its peer operators).
 *
 * @example
 * const deployerKey = hardhatKey(0);
 */
export function hardhatKey(index: number): Hex {
  const key = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: index }).getHdKey().privateKey;
  if (!key) throw new Error(`no private key for development account ${index}`);
  return toHex(key);
}
