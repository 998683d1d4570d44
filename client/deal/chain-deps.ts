import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from 'viem';

/** Reads the chain (any viem public client). */
export type ChainReader = PublicClient<Transport, Chain | undefined>;
/** Sends the owner's transactions and signs typed data: a viem wallet client with an account. */
export type ChainWriter = WalletClient<Transport, Chain | undefined, Account>;

/** The deployed contracts the client talks to. */
export interface MarketContracts {
  /** The Marketplace (deals, slots, escrow). */
  market: Address;
  /** The RewardToken (escrow currency, EIP-2612 permit). */
  token: Address;
}
