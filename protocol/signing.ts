import { createHash, randomBytes } from 'node:crypto';
import { type Address, getAddress, type Hex, hashMessage, isHex, type LocalAccount, recoverMessageAddress } from 'viem';
import { SignatureError } from './errors';

/** Version tag on the first line of every canonical request. */
export const REQUEST_SIGNING_VERSION = 'dhost-request/1';

/** The headers a signed request carries. */
export const SIGNED_HEADERS = {
  signature: 'x-dhost-signature',
  /** The address the sender claims to sign with; the node refuses a signature that recovers to another. */
  address: 'x-dhost-address',
  timestamp: 'x-dhost-timestamp',
  nonce: 'x-dhost-nonce',
  contentSha256: 'x-dhost-content-sha256',
} as const;

/** SHA-256 of the empty body, used for requests without one. */
export const EMPTY_SHA256 = createHash('sha256').update(new Uint8Array(0)).digest('hex');

/** What a signature covers. */
export interface RequestToSign {
  /** HTTP method, upper case. */
  method: string;
  /** Path and query exactly as sent, e.g. `/slots/0x…/shards/0?fileId=0x…&column=0`. */
  pathAndQuery: string;
  /** SHA-256 of the body, 64 lowercase hex digits. */
  contentSha256: string;
  /** The node the request is meant for, so it cannot be replayed at another node. */
  node: Address;
  /** The chain the node serves, so it cannot be replayed on another chain. */
  chainId: number;
  /** Unix seconds when the request was signed. */
  timestamp: number;
  /** 16 random bytes as 0x-hex, never used twice by one signer. */
  nonce: Hex;
}

/**
 * The canonical string an uploader signs (EIP-191 personal message), one field per line.
 *
 * @example
 * canonicalRequest({ method: 'PUT', pathAndQuery: '/slots/0x…/shards/0', contentSha256, node, chainId: 31337, timestamp, nonce });
 */
export function canonicalRequest(req: RequestToSign): string {
  return [
    REQUEST_SIGNING_VERSION,
    req.method.toUpperCase(),
    req.pathAndQuery,
    req.contentSha256.toLowerCase(),
    req.node.toLowerCase(),
    String(req.chainId),
    String(req.timestamp),
    req.nonce.toLowerCase(),
  ].join('\n');
}

/**
 * Signs a request for a node and returns the headers to send with it.
 *
 * @example
 * const headers = await signRequest({ account }, { method: 'PUT', pathAndQuery, contentSha256, node, chainId });
 * await fetch(url, { method: 'PUT', headers, body });
 */
export async function signRequest(
  deps: { account: Pick<LocalAccount, 'signMessage' | 'address'> },
  params: Omit<RequestToSign, 'timestamp' | 'nonce'> & { timestamp?: number; nonce?: Hex },
): Promise<Record<string, string>> {
  const timestamp = params.timestamp ?? Math.floor(Date.now() / 1000);
  const nonce = params.nonce ?? (`0x${randomBytes(16).toString('hex')}` as Hex);
  const message = canonicalRequest({ ...params, timestamp, nonce });
  const signature = await deps.account.signMessage({ message });
  return {
    [SIGNED_HEADERS.signature]: signature,
    [SIGNED_HEADERS.address]: deps.account.address,
    [SIGNED_HEADERS.timestamp]: String(timestamp),
    [SIGNED_HEADERS.nonce]: nonce,
    [SIGNED_HEADERS.contentSha256]: params.contentSha256.toLowerCase(),
  };
}

/** The signed fields a node read from a request's headers. */
export interface SignedHeaders {
  signature: Hex;
  address: Address;
  timestamp: number;
  nonce: Hex;
  contentSha256: string;
}

/**
 * Reads and checks the shape of the signing headers. Throws `SignatureError` with code
 * `MISSING_SIGNATURE` or `MALFORMED_SIGNATURE`.
 *
 * @example
 * const signed = parseSignedHeaders((name) => c.req.header(name));
 */
export function parseSignedHeaders(header: (name: string) => string | undefined | null): SignedHeaders {
  const signature = header(SIGNED_HEADERS.signature);
  const address = header(SIGNED_HEADERS.address);
  const timestamp = header(SIGNED_HEADERS.timestamp);
  const nonce = header(SIGNED_HEADERS.nonce);
  const contentSha256 = header(SIGNED_HEADERS.contentSha256);
  if (!signature || !address || !timestamp || !nonce || !contentSha256) {
    throw new SignatureError('MISSING_SIGNATURE', `signed request headers are required: ${Object.values(SIGNED_HEADERS).join(', ')}`);
  }
  if (!isHex(signature) || signature.length !== 132) throw new SignatureError('MALFORMED_SIGNATURE', 'signature must be 65 bytes of 0x-hex');
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new SignatureError('MALFORMED_SIGNATURE', 'address must be 20 bytes of 0x-hex');
  if (!/^[0-9]{1,12}$/.test(timestamp)) throw new SignatureError('MALFORMED_SIGNATURE', 'timestamp must be unix seconds');
  if (!/^0x[0-9a-fA-F]{32}$/.test(nonce)) throw new SignatureError('MALFORMED_SIGNATURE', 'nonce must be 16 bytes of 0x-hex');
  if (!/^[0-9a-fA-F]{64}$/.test(contentSha256)) throw new SignatureError('MALFORMED_SIGNATURE', 'content hash must be 64 hex digits (SHA-256)');
  return {
    signature: signature as Hex,
    address: getAddress(address.toLowerCase()),
    timestamp: Number(timestamp),
    nonce: nonce.toLowerCase() as Hex,
    contentSha256: contentSha256.toLowerCase(),
  };
}

/**
 * Recovers the address that signed a 32-byte hash (65-byte r ‖ s ‖ v signature); throws on a
 * signature that recovers to no point. A node may bring a faster one than viem's (see
 * `node/signature/recover-address.ts`).
 */
export type RecoverAddress = (params: { hash: Hex; signature: Hex }) => Promise<Address>;

/**
 * Recovers the signer of a request, checks that it is the claimed address, and checks freshness. Replay (nonce memory) is the caller's
 * job, because only the caller can remember nonces across restarts.
 * Throws `SignatureError` (`BAD_SIGNATURE`, `STALE_SIGNATURE`). `recoverAddress` defaults to viem's.
 *
 * @example
 * const signer = await verifyRequest({ now: () => Date.now() }, { signed, method: 'PUT', pathAndQuery, node, chainId, maxSkewSeconds: 300 });
 */
export async function verifyRequest(
  deps: { now: () => number; recoverAddress?: RecoverAddress },
  params: { signed: SignedHeaders; method: string; pathAndQuery: string; node: Address; chainId: number; maxSkewSeconds: number },
): Promise<Address> {
  const { signed } = params;
  const nowSeconds = Math.floor(deps.now() / 1000);
  if (Math.abs(nowSeconds - signed.timestamp) > params.maxSkewSeconds) {
    throw new SignatureError('STALE_SIGNATURE', `request timestamp is more than ${params.maxSkewSeconds}s from the node's clock`, {
      details: { timestamp: signed.timestamp, now: nowSeconds },
    });
  }
  const message = canonicalRequest({
    method: params.method,
    pathAndQuery: params.pathAndQuery,
    contentSha256: signed.contentSha256,
    node: params.node,
    chainId: params.chainId,
    timestamp: signed.timestamp,
    nonce: signed.nonce,
  });
  let signer: Address;
  try {
    const recovered = deps.recoverAddress
      ? await deps.recoverAddress({ hash: hashMessage(message), signature: signed.signature })
      : await recoverMessageAddress({ message, signature: signed.signature });
    signer = getAddress(recovered);
  } catch (cause) {
    throw new SignatureError('BAD_SIGNATURE', 'signature does not recover to an address', { cause });
  }
  if (signer !== signed.address) {
    throw new SignatureError('BAD_SIGNATURE', 'signature was not made by the claimed address over this request', {
      details: { claimed: signed.address },
    });
  }
  return signer;
}
