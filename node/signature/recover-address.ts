import type * as Secp256k1 from 'secp256k1';
import { type Address, bytesToHex, getAddress, type Hex, hexToBytes, keccak256, recoverAddress as viemRecoverAddress } from 'viem';
import type { RecoverAddress } from '../../protocol/signing';

/** Which implementation a recoverer runs on. */
export type RecoverKind = 'libsecp256k1' | 'javascript';

/** Loads the native libsecp256k1 binding (a prebuilt addon of the `secp256k1` package); undefined when it cannot load. */
function loadNative(): typeof Secp256k1 | undefined {
  try {
    // The package's own entry falls back to a pure-JS curve slower than viem's: ask for the addon itself.
    return require('secp256k1/bindings') as typeof Secp256k1;
  } catch {
    return undefined;
  }
}

/**
 * The node's signature recovery for signed requests: libsecp256k1 (about 0.08 ms a signature,
 * where viem's JavaScript curve takes about 2 ms) when its prebuilt addon loads, viem otherwise.
 * Both accept the same signatures (65 bytes r ‖ s ‖ v, v ∈ {0, 1, 27, 28}) and recover the same
 * address; anything else throws.
 *
 * @example
 * const recover = createRecoverAddress();
 * const signer = await recover.recoverAddress({ hash: hashMessage(message), signature });
 */
export function createRecoverAddress(options: { prefer?: RecoverKind } = {}): { kind: RecoverKind; recoverAddress: RecoverAddress } {
  const native = options.prefer === 'javascript' ? undefined : loadNative();
  if (!native) return { kind: 'javascript', recoverAddress: ({ hash, signature }) => viemRecoverAddress({ hash, signature }) };
  return {
    kind: 'libsecp256k1',
    recoverAddress: async ({ hash, signature }: { hash: Hex; signature: Hex }): Promise<Address> => {
      const bytes = hexToBytes(signature);
      if (bytes.length !== 65) throw new Error(`a signature has 65 bytes, not ${bytes.length}`);
      const v = bytes[64];
      if (v !== 0 && v !== 1 && v !== 27 && v !== 28) throw new Error(`invalid recovery value v = ${v}`);
      const publicKey = native.ecdsaRecover(bytes.subarray(0, 64), v % 27, hexToBytes(hash), false);
      return getAddress(`0x${keccak256(bytesToHex(publicKey.subarray(1))).slice(-40)}`);
    },
  };
}
