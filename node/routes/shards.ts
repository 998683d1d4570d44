import { Hono, type MiddlewareHandler } from 'hono';
import type { Address } from 'viem';
import type { z } from 'zod';
import { parseShardIndex, type ShardIndex } from '../../protocol/column';
import { parseSlotId, type SlotId } from '../../protocol/ids';
import type { RecoverAddress } from '../../protocol/signing';
import type { shardStoredSchema } from '../../protocol/wire';
import type { NodeEnv } from '../env';
import { NotFoundError } from '../errors';
import type { DealSource } from '../market/chain-deals';
import { dealWrite } from '../middleware/deal-write';
import { readAccess } from '../middleware/read-access';
import { requestLimits } from '../middleware/request-limits';
import { signedWrite } from '../middleware/signed-write';
import type { KeyedLock } from '../store/keyed-lock';
import type { NonceStore } from '../store/nonce-store';
import { putShard } from '../store/put-shard';
import type { SlotIndex } from '../store/slot-index';
import type { SlotStore } from '../store/slot-store';
import { fileBody } from './file-body';
import { requestBody } from './request-body';
import { responseGone } from './response-gone';

/** What the shard routes need. */
export interface ShardRoutesDeps {
  store: Pick<SlotStore, 'receive' | 'place' | 'discard' | 'shardPath' | 'open'>;
  index: Pick<SlotIndex, 'getSlot' | 'getShard' | 'usage' | 'commitShard' | 'slotBytes'>;
  /** Where writes are checked against deals on chain, and the Marketplace that signs assignments. */
  deals: DealSource;
  market: Address;
  nonces: Pick<NonceStore, 'remember'>;
  locks: KeyedLock;
  identity: { address: Address; chainId: number };
  limits: { capacityBytes: number; maxShardBytes: number };
  maxSkewSeconds: number;
  /** Signature recovery for signed writes (default viem's). */
  recoverAddress?: RecoverAddress;
  now: () => number;
  /** Runs after the signature is verified, before the deal is read (the per-signer rate limit). */
  afterSignature?: MiddlewareHandler<NodeEnv>;
  /** Called once a new shard's row is committed (the node hashes its column as it arrives: `createColumnTrees`). */
  onShardStored?: (slotId: SlotId, index: ShardIndex) => void;
}

const SHARD_PATH = '/slots/:slotId/shards/:index';
/** Bytes per read when a shard is streamed out. */
const READ_PIECE_BYTES = 256 * 1024;
const passThrough: MiddlewareHandler<NodeEnv> = (_c, next) => next();

/**
 * `PUT /slots/:slotId/shards/:index?fileId=0x…&column=N` stores a shard (signed by the deal's
 * owner or a repair delegate, bound to an open deal assigned to this node, see `dealWrite`; 201
 * new, 200 `{created:false}` for an identical retry); `GET`/`HEAD` of the same path stream it
 * back to the holder of a retrieval token for the slot's deal and column (see `readAccess`), only
 * while the index has its row.
 *
 * @example
 * app.route('/', shardRoutes({ store, index, nonces, locks, identity, limits, deals, market, maxSkewSeconds: 300, now: Date.now }));
 */
export function shardRoutes(deps: ShardRoutesDeps): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();

  app.put(
    SHARD_PATH,
    requestLimits({ maxBodyBytes: deps.limits.maxShardBytes }),
    signedWrite({ identity: deps.identity, nonces: deps.nonces, now: deps.now, maxSkewSeconds: deps.maxSkewSeconds, recoverAddress: deps.recoverAddress }),
    deps.afterSignature ?? passThrough,
    dealWrite({ deals: deps.deals, identity: deps.identity, market: deps.market, now: deps.now }),
    async (c) => {
      const slotId = parseSlotId(c.req.param('slotId'));
      const index = parseShardIndex(c.req.param('index'));
      const { dealId: fileId, column, maxSlotBytes, assignment, owner } = c.get('dealWrite');
      const result = await putShard(
        { store: deps.store, index: deps.index, locks: deps.locks, now: deps.now },
        {
          slotId,
          fileId,
          column,
          index,
          owner,
          contentSha256: c.get('contentSha256'),
          ...requestBody(c),
          declaredLength: c.get('declaredLength'),
          capacityBytes: deps.limits.capacityBytes,
          maxShardBytes: deps.limits.maxShardBytes,
          maxSlotBytes,
          assignment,
        },
      );
      if (result.created) deps.onShardStored?.(slotId, index);
      const body: z.infer<typeof shardStoredSchema> = { slotId, index, size: result.size, sha256: result.sha256, created: result.created };
      return c.json(body, result.created ? 201 : 200);
    },
  );

  const access = readAccess({
    index: deps.index,
    deals: deps.deals,
    identity: deps.identity,
    market: deps.market,
    now: deps.now,
    maxSkewSeconds: deps.maxSkewSeconds,
  });
  app.get(SHARD_PATH, access, async (c) => {
    const slotId = parseSlotId(c.req.param('slotId'));
    const index = parseShardIndex(c.req.param('index'));
    const row = deps.index.getShard(slotId, index);
    const notFound = () => new NotFoundError('SHARD_NOT_FOUND', 'this node holds no such shard', { details: { slotId, index } });
    if (!row) throw notFound();
    const etag = `"${row.sha256}"`;
    const headers = {
      'content-type': 'application/octet-stream',
      'content-length': String(row.size),
      'x-dhost-content-sha256': row.sha256,
      etag,
      // Immutable ciphertext, but only for the token's holder: no shared cache may keep it.
      'cache-control': 'private, max-age=31536000, immutable',
    };
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, { etag });
    if (c.req.raw.method === 'HEAD') return c.body(null, 200, headers);
    const handle = await deps.store.open(slotId, index).catch((cause: NodeJS.ErrnoException) => {
      if (cause.code === 'ENOENT') throw notFound();
      throw cause;
    });
    const size = await handle.stat().then(
      (stat) => stat.size,
      async (cause: unknown) => {
        await handle.close();
        throw cause;
      },
    );
    if (size !== row.size) {
      // Replaced or dropped between the lookup and the open: never serve bytes the row does not describe.
      await handle.close();
      throw notFound();
    }
    // 256 KiB reads: a 1 MiB shard in four pieces, each read into its own buffer and written out as is.
    return c.body(fileBody(handle, { size, pieceBytes: READ_PIECE_BYTES, signal: responseGone(c) }), 200, headers);
  });

  return app;
}
