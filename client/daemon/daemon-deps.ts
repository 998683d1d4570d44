import type { Address, LocalAccount } from 'viem';
import type { ChainReader, ChainWriter } from '../deal/chain-deps';
import type { Keystore } from '../keystore';
import type { PeerSource } from '../peer-source';
import type { HttpRequester } from '../transport/http-requester';

/**
 * What the user daemon works with, passed in whole (no module-level clients): the user's account
 * and master secret, the keystore, the chain and its contracts, the peers, and where uploads are
 * spooled. `cli/commands/ui.ts` builds it from `userContext`, tests from a test network.
 */
export interface DaemonDeps {
  account: LocalAccount;
  master: Uint8Array;
  keystore: Keystore;
  chainId: number;
  publicClient: ChainReader;
  walletClient: ChainWriter;
  contracts: { market: Address; token: Address; registry: Address };
  peers: PeerSource;
  /** Refuse peers on loopback, private and link-local addresses (every chain but the devnet). */
  publicEndpointsOnly: boolean;
  /** Folder for spooled uploads (made when needed; each upload's file is removed when it ends). */
  spoolDir: string;
  request?: HttpRequester;
  /** Clock in milliseconds (upload speed, share expiry). Default `Date.now`. */
  now?: () => number;
  /** Where unexpected errors are logged. Default `console.error`. */
  log?: (line: string) => void;
}
