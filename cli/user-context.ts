import fs from 'node:fs';
import path from 'node:path';
import { createWalletClient } from 'viem';
import { type LocalAccount, privateKeyToAccount } from 'viem/accounts';
import { chainPeerSource, KEYSTORE_FILES, type Keystore, masterFromPrivateKey, openKeystore, type PeerSource, type UploadMarketplaceDeps } from '../client';
import { type Connection, connect, type Settings } from './settings';

/** What user commands (upload, download, ls) work with. */
export interface UserContext {
  account: LocalAccount;
  master: Uint8Array;
  keystore: Keystore;
  connection: Connection;
  peers: PeerSource;
  /** What deal-aware uploads need: the chain, a wallet for the account, and the contracts. */
  marketplace: UploadMarketplaceDeps;
}

/**
 * The user's account (`DHOST_PRIVATE_KEY`, or the key kept in `DHOST_HOME`, created on first use),
 * the master secret derived from it, the keystore, and the chain's peers.
 *
 * @example
 * const ctx = await userContext(settings, { onNewKey: (file) => console.error(`created ${file}`) });
 */
export async function userContext(settings: Settings, hooks: { onNewKey?: (file: string) => void } = {}): Promise<UserContext> {
  const keystore = openKeystore({ home: settings.home });
  const privateKey = settings.privateKey ?? (await accountKey(keystore, hooks));
  const connection = await connect(settings);
  const account = privateKeyToAccount(privateKey);
  const walletClient = createWalletClient({ account, chain: connection.chain, transport: connection.transport });
  const market = connection.deployment.contracts.Marketplace;
  return {
    account,
    master: masterFromPrivateKey(privateKey),
    keystore,
    connection,
    peers: chainPeerSource({ publicClient: connection.publicClient, registry: connection.deployment.contracts.PeerRegistry, market }),
    marketplace: { publicClient: connection.publicClient, walletClient, market, token: connection.deployment.contracts.RewardToken },
  };
}

/**
 * The keystore's account key, made on first use; `onNewKey` hears about a key that was just made.
 *
 * @example
 * const key = await accountKey(keystore, { onNewKey: (file) => console.error(`new key in ${file}`) });
 */
export async function accountKey(keystore: Keystore, hooks: { onNewKey?: (file: string) => void } = {}) {
  const file = path.join(keystore.home, KEYSTORE_FILES.accountKey);
  const existed = fs.existsSync(file);
  const key = await keystore.loadOrCreateAccountKey();
  if (!existed) hooks.onNewKey?.(file);
  return key;
}

/**
 * Whether the client must refuse peer endpoints on loopback, private and link-local addresses:
 * always, except on a local development chain (Hardhat's chain id 31337) or when
 * `DHOST_ALLOW_PRIVATE_ENDPOINTS=1` says the whole network is private on purpose.
 *
 * @example
 * upload(deps, { …, publicEndpointsOnly: publicEndpointsOnly(chainId, process.env) });
 */
export function publicEndpointsOnly(chainId: number, env: NodeJS.ProcessEnv): boolean {
  return chainId !== 31337 && env.DHOST_ALLOW_PRIVATE_ENDPOINTS !== '1';
}

/**
 * The user's account when there is one (`DHOST_PRIVATE_KEY`, or a key already kept in
 * `DHOST_HOME`), without making a key: reading through a bearer share link needs none.
 *
 * @example
 * const account = await existingAccount(settings); // undefined on a fresh machine
 */
export async function existingAccount(settings: Settings): Promise<LocalAccount | undefined> {
  if (settings.privateKey) return privateKeyToAccount(settings.privateKey);
  const keystore = openKeystore({ home: settings.home });
  if (!fs.existsSync(path.join(keystore.home, KEYSTORE_FILES.accountKey))) return undefined;
  return privateKeyToAccount(await keystore.loadOrCreateAccountKey());
}
