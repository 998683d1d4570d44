import type { Address, Hex } from 'viem';
import type { FileId } from '../protocol/ids';

/**
 * The Hono environment of the node's app: per-request values set by middleware and read by
 * routes through typed `c.set` / `c.get`.
 *
 * @example
 * const app = new Hono<NodeEnv>();
 * app.put('/x', (c) => c.json({ signer: c.get('signer') }));
 */
export interface NodeEnv {
  Variables: {
    /** The verified signer of a signed write (set by `signedWrite`). */
    signer: Address;
    /** The SHA-256 the signer declared for the body, lowercase hex (set by `signedWrite`). */
    contentSha256: string;
    /** The request's `Content-Length`, when it sent one (set by `requestLimits`). */
    declaredLength: number | undefined;
    /** The deal a write is bound to, its owner, its column, its bytes per slot and the owner's (or repair delegate's) assignment (set by `dealWrite`). */
    dealWrite: { dealId: FileId; owner: Address; column: number; maxSlotBytes: number; assignment: { deadline: bigint; signature: Hex } };
  };
}
