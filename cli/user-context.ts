import { type LocalAccount, privateKeyToAccount } from 'viem/accounts';
import { chainPeerSource, type Keystore, masterFromPrivateKey, openKeystore, type PeerSource } from '../client';
import { type Connection, connect, type Settings } from './settings';

/** What user commands (upload, download, ls) work with. */
export interface UserContext {
  account: LocalAccount;
  master: Uint8Array;
  keystore: Keystore;
  connection: Connection;
  peers: PeerSource;
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
  const privateKey = settings.privateKey ?? (await keystore.loadOrCreateAccountKey({ onCreate: hooks.onNewKey }));
  const connection = await connect(settings);
  return {
    account: privateKeyToAccount(privateKey),
    master: masterFromPrivateKey(privateKey),
    keystore,
    connection,
    peers: chainPeerSource({ publicClient: connection.publicClient, registry: connection.deployment.contracts.PeerRegistry }),
  };
}
