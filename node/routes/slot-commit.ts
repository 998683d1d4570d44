import { createHash } from 'node:crypto';
import { Hono, type MiddlewareHandler } from 'hono';
import { type Address, bytesToHex, type Hex, hexToBytes } from 'viem';
import type { z } from 'zod';
import { InvalidInputError } from '../../protocol/errors';
import { parseColumn, parseFileId, parseSlotId, slotIdOf } from '../../protocol/ids';
import { createKeccakHasher, depthOf, type Keccak, rootFromProof, slotRootLeaf } from '../../protocol/merkle';
import type { RecoverAddress } from '../../protocol/signing';
import { type SlotCommit, type slotCommitRecordedSchema, slotCommitSchema } from '../../protocol/wire';
import type { NodeEnv } from '../env';
import {
  ColumnOutOfRangeError,
  CommitMismatchError,
  CommitNotReadyError,
  ContentHashMismatchError,
  ForbiddenError,
  NotFoundError,
  ShardTooLargeError,
  SlotIdMismatchError,
} from '../errors';
import type { DealSource } from '../market/chain-deals';
import { mayRepair } from '../middleware/deal-write';
import { requestLimits } from '../middleware/request-limits';
import { signedWrite } from '../middleware/signed-write';
import type { MarketState } from '../store/market-state';
import type { NonceStore } from '../store/nonce-store';
import type { SlotIndex } from '../store/slot-index';

/** Largest commit notice body: a slot root, eight proof nodes and a count fit in well under 1 KiB. */
export const MAX_COMMIT_BODY_BYTES = 2048;

/** What the commit route needs. */
export interface SlotCommitRoutesDeps {
  index: Pick<SlotIndex, 'getSlot'>;
  deals: DealSource;
  commits: Pick<MarketState, 'recordCommit' | 'get'>;
  nonces: Pick<NonceStore, 'remember'>;
  identity: { address: Address; chainId: number };
  maxSkewSeconds: number;
  /** Signature recovery for signed writes (default viem's). */
  recoverAddress?: RecoverAddress;
  now: () => number;
  /** Called after a new slot was recorded (the node starts its fill round at once). */
  onRecorded?: () => void;
  /** Runs after the signature is verified, before the body is read (the per-signer rate limit). */
  afterSignature?: MiddlewareHandler<NodeEnv>;
}

/**
 * `PUT /slots/:slotId/commit?fileId=0x…&column=N` — the deal owner's notice that the deal root is
 * committed on chain, with the slot root of the column this node holds and its proof in the deal
 * root (`slotCommitSchema`). The chain stores only the deal root, so this is how a peer learns what
 * to fill with. Signed like a shard write; the node reads the deal fresh from the chain and checks:
 * the signer owns it (403), it runs (403), the root is committed (409 `ROOT_NOT_COMMITTED`), this
 * node holds the slot's bytes (409 `SLOT_NOT_HELD`), the segment count is the deal's and the proof
 * leads from the slot root to the deal root (400). Then it records the slot for its fill round,
 * which compares the slot root with the root of the bytes it received before it fills. 201 new,
 * 200 `{created:false}` when known; a refusal records nothing.
 *
 * `GET /slots/:slotId/commit` answers the recorded notice (`slotCommitSchema`; public: roots and
 * proofs reveal nothing of the data), so a repairer can learn a healthy column's slot root and the
 * upper tree without the owner's records; 404 `COMMIT_NOT_FOUND` otherwise.
 *
 * @example
 * app.route('/', slotCommitRoutes({ index, deals, commits: market, nonces, identity, maxSkewSeconds: 300, now: Date.now }));
 */
export function slotCommitRoutes(deps: SlotCommitRoutesDeps): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();
  let keccak: Promise<Keccak> | undefined;

  app.put(
    '/slots/:slotId/commit',
    requestLimits({ maxBodyBytes: MAX_COMMIT_BODY_BYTES }),
    signedWrite({ identity: deps.identity, nonces: deps.nonces, now: deps.now, maxSkewSeconds: deps.maxSkewSeconds, recoverAddress: deps.recoverAddress }),
    deps.afterSignature ?? ((_c, next) => next()),
    async (c) => {
      const slotId = parseSlotId(c.req.param('slotId'));
      const fileIdParam = c.req.query('fileId');
      const columnParam = c.req.query('column');
      if (fileIdParam === undefined || columnParam === undefined) {
        throw new InvalidInputError('a commit notice needs the query parameters fileId and column', {
          details: { fileId: fileIdParam, column: columnParam },
        });
      }
      const dealId = parseFileId(fileIdParam);
      const column = parseColumn(columnParam);
      const expected = slotIdOf(dealId, column);
      if (expected !== slotId) {
        throw new SlotIdMismatchError('the slot id is not keccak(fileId, column)', { details: { slotId, fileId: dealId, column, expected } });
      }
      const notice = await readNotice(c.req.raw, c.get('contentSha256'));

      const [deal, epoch] = await Promise.all([deps.deals.getDeal(dealId, { fresh: true }), deps.deals.currentEpoch()]);
      if (!deal) throw new ForbiddenError('DEAL_NOT_FOUND', 'no deal with this id is open on chain', { details: { dealId } });
      const signer = c.get('signer');
      if (!(await mayRepair(deps.deals, deal.owner, signer))) {
        throw new ForbiddenError('NOT_DEAL_OWNER', 'only the deal owner or its repair delegate may commit its slots', { details: { dealId, signer } });
      }
      if (deal.cancelled || epoch >= deal.endEpoch) {
        throw new ForbiddenError('DEAL_ENDED', deal.cancelled ? 'the deal was cancelled' : 'the deal has ended', { details: { dealId } });
      }
      if (column >= deal.slots) throw new ColumnOutOfRangeError(`the deal has ${deal.slots} slots`, { details: { dealId, column, slots: deal.slots } });
      if (BigInt(deal.root) === 0n) throw new CommitNotReadyError('ROOT_NOT_COMMITTED', 'the deal root is not committed on chain yet', { details: { dealId } });
      const held = deps.index.getSlot(slotId);
      if (!held || held.fileId !== dealId) {
        throw new CommitNotReadyError('SLOT_NOT_HELD', 'this node holds no bytes of this slot: send the column first', { details: { slotId } });
      }
      if (BigInt(notice.segmentCount) !== deal.segmentCount) {
        throw new CommitMismatchError('SEGMENT_COUNT_MISMATCH', 'the segment count is not the one the deal committed', {
          details: { segmentCount: notice.segmentCount, committed: String(deal.segmentCount) },
        });
      }
      keccak ??= createKeccakHasher();
      const hasher = await keccak;
      const depth = depthOf(deal.slots);
      const proven =
        notice.rootProof.length === depth &&
        bytesToHex(
          rootFromProof(hasher, {
            leaf: slotRootLeaf(hasher, column, hexToBytes(notice.slotRoot as Hex)),
            index: column,
            count: deal.slots,
            proof: notice.rootProof.map((node) => hexToBytes(node as Hex)),
          }),
        ) === deal.root.toLowerCase();
      if (!proven) {
        throw new CommitMismatchError('ROOT_PROOF_INVALID', 'the proof does not lead from this slot root to the committed deal root', {
          details: { slotId, depth },
        });
      }

      const created = deps.commits.get(slotId) === undefined;
      deps.commits.recordCommit({
        slotId,
        dealId,
        column,
        slotRoot: notice.slotRoot as Hex,
        rootProof: notice.rootProof as Hex[],
        segmentCount: notice.segmentCount,
      });
      if (created) deps.onRecorded?.();
      const body: z.infer<typeof slotCommitRecordedSchema> = { slotId, created };
      return c.json(body, created ? 201 : 200);
    },
  );

  app.get('/slots/:slotId/commit', (c) => {
    const slotId = parseSlotId(c.req.param('slotId'));
    const row = deps.commits.get(slotId);
    if (!row) throw new NotFoundError('COMMIT_NOT_FOUND', 'this node has no commit recorded for this slot', { details: { slotId } });
    const body: SlotCommit = { slotRoot: row.slotRoot, rootProof: row.rootProof, segmentCount: row.segmentCount };
    return c.json(body, 200);
  });

  return app;
}

/** Reads the bounded JSON body, checks it against the signed hash, and parses it. */
async function readNotice(request: Request, contentSha256: string): Promise<SlotCommit> {
  // Read at most the bound, even without a Content-Length (a chunked body is cut off, not buffered).
  const parts: Uint8Array[] = [];
  let length = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.length;
      if (length > MAX_COMMIT_BODY_BYTES) {
        await reader.cancel();
        throw new ShardTooLargeError(`a commit notice is at most ${MAX_COMMIT_BODY_BYTES} bytes`, { details: { maxBytes: MAX_COMMIT_BODY_BYTES } });
      }
      parts.push(value);
    }
  }
  const bytes = Buffer.concat(parts);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== contentSha256) {
    throw new ContentHashMismatchError('the body does not match the signed content hash', { details: { expected: contentSha256, actual } });
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidInputError('the commit notice is not JSON');
  }
  const parsed = slotCommitSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidInputError('malformed commit notice', { details: { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) } });
  }
  return parsed.data;
}
