import { type Address, getAddress, type Hex, type LocalAccount, recoverMessageAddress } from 'viem';
import { SignatureError } from './errors';
import type { NodeStatus } from './wire';

/** Version tag on the first line of every canonical status; a status with new signed fields gets a new tag. */
export const STATUS_SIGNING_VERSION = 'dhost-status/1';

/** The fields a signature covers: every field of `NodeStatus` (signature fields aside). */
export type StatusFields = Omit<NodeStatus, 'signedAt' | 'signature'>;

/** A status with its signature: `signedAt` (unix seconds) and an EIP-191 `signature` over `canonicalStatus`. */
export type SignedNodeStatus = StatusFields & { signedAt: number; signature: Hex };

/** What a node needs to sign: its operator address and a personal-message signer (a viem `LocalAccount` fits). */
export type StatusSigner = Pick<LocalAccount, 'address' | 'signMessage'>;

/**
 * The canonical string a node signs for its `/status` (EIP-191 personal message), one field per
 * line: the version tag, the address (lower case), the chain id, then the other fields in a fixed
 * order as JavaScript prints numbers (`String(n)`), then `signedAt`. The address and the chain id
 * make a signed status useless for another node or chain; `signedAt` bounds its reuse in time.
 *
 * @example
 * canonicalStatus({ address, chainId: 31337, version: '0.1.0', capacityBytes: 1024, usedBytes: 0, freeBytes: 1024, slots: 0, shards: 0, maxShardBytes: 512, uptimeSeconds: 1.5 }, 1_700_000_000);
 */
export function canonicalStatus(status: StatusFields, signedAt: number): string {
  return [
    STATUS_SIGNING_VERSION,
    status.address.toLowerCase(),
    String(status.chainId),
    status.version,
    String(status.capacityBytes),
    String(status.usedBytes),
    String(status.freeBytes),
    String(status.slots),
    String(status.shards),
    String(status.maxShardBytes),
    String(status.uptimeSeconds),
    String(signedAt),
  ].join('\n');
}

/** Only the signed fields of a status, in a fresh object (extra fields of a newer node are dropped). */
function fieldsOf(status: StatusFields): StatusFields {
  return {
    address: status.address,
    chainId: status.chainId,
    version: status.version,
    capacityBytes: status.capacityBytes,
    usedBytes: status.usedBytes,
    freeBytes: status.freeBytes,
    slots: status.slots,
    shards: status.shards,
    maxShardBytes: status.maxShardBytes,
    uptimeSeconds: status.uptimeSeconds,
  };
}

/**
 * Signs a node's status with its operator key. The status must name the signer's address
 * (`BAD_SIGNATURE` otherwise: a node never signs for another address).
 *
 * @example
 * const body = await signStatus({ signer: account }, { status, signedAt: Math.floor(Date.now() / 1000) });
 */
export async function signStatus(deps: { signer: StatusSigner }, params: { status: StatusFields; signedAt: number }): Promise<SignedNodeStatus> {
  if (getAddress(params.status.address) !== getAddress(deps.signer.address)) {
    throw new SignatureError('BAD_SIGNATURE', 'a node signs only a status that names its own address', {
      details: { status: params.status.address, signer: deps.signer.address },
    });
  }
  const fields = fieldsOf(params.status);
  const signature = await deps.signer.signMessage({ message: canonicalStatus(fields, params.signedAt) });
  return { ...fields, signedAt: params.signedAt, signature };
}

/**
 * Checks a status's signature: present, made by `expectedSigner` over this status (address and
 * chain id included: `chainId`, when given, must be the status's), and fresh — `signedAt` at most
 * `maxAgeSeconds` old (default 300) and at most `maxFutureSeconds` ahead (default 30, for clock
 * drift between machines). Throws `SignatureError`: `MISSING_SIGNATURE`, `BAD_SIGNATURE` (another
 * signer, altered fields, another chain) or `STALE_SIGNATURE`.
 *
 * @example
 * await verifyStatus({ status, expectedSigner: peer.operator, chainId: 31337, nowSeconds: Math.floor(Date.now() / 1000) });
 */
export async function verifyStatus(params: {
  status: NodeStatus;
  expectedSigner: Address;
  chainId?: number;
  nowSeconds: number;
  maxAgeSeconds?: number;
  maxFutureSeconds?: number;
}): Promise<void> {
  const { status } = params;
  if (status.signature === undefined || status.signedAt === undefined) {
    throw new SignatureError('MISSING_SIGNATURE', 'the status is not signed');
  }
  if (params.chainId !== undefined && status.chainId !== params.chainId) {
    throw new SignatureError('BAD_SIGNATURE', `the status is for chain ${status.chainId}, not ${params.chainId}`);
  }
  const age = params.nowSeconds - status.signedAt;
  const maxAge = params.maxAgeSeconds ?? 300;
  const maxFuture = params.maxFutureSeconds ?? 30;
  if (age > maxAge) throw new SignatureError('STALE_SIGNATURE', `the status was signed ${age} s ago (more than ${maxAge} s)`);
  if (-age > maxFuture) throw new SignatureError('STALE_SIGNATURE', `the status is signed ${-age} s in the future`);
  let signer: Address;
  try {
    signer = getAddress(await recoverMessageAddress({ message: canonicalStatus(fieldsOf(status), status.signedAt), signature: status.signature as Hex }));
  } catch (cause) {
    throw new SignatureError('BAD_SIGNATURE', 'the status signature does not recover to an address', { cause });
  }
  if (signer !== getAddress(params.expectedSigner)) {
    throw new SignatureError('BAD_SIGNATURE', `the status is signed by ${signer} or altered, not signed by ${getAddress(params.expectedSigner)}`, {
      details: { expected: params.expectedSigner },
    });
  }
}
