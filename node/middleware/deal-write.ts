import type { MiddlewareHandler } from 'hono';
import { type Address, getAddress, recoverTypedDataAddress } from 'viem';
import { ASSIGNMENT_HEADER, assignmentTypedData, parseAssignmentHeader } from '../../protocol/chain/market';
import { parseShardIndex } from '../../protocol/column';
import { InvalidInputError } from '../../protocol/errors';
import { parseColumn, parseFileId, parseSlotId, slotIdOf } from '../../protocol/ids';
import { PERMISSION } from '../../protocol/retrieval-token';
import type { NodeEnv } from '../env';
import { ColumnOutOfRangeError, ForbiddenError, SlotIdMismatchError } from '../errors';
import type { DealSource } from '../market/chain-deals';

/** Most assignments the middleware remembers the signer of (one per column being written). */
const ASSIGNER_CACHE_SIZE = 4096;

/**
 * Binds a signed write to an open deal on chain (after `signedWrite`): the query's `fileId` is
 * the deal id and `column` its column, matching the path's slot id; the deal exists
 * (`DEAL_NOT_FOUND`), the signer is its owner or a delegate the owner gave the repair permission
 * on chain (`NOT_DEAL_OWNER`), it is neither cancelled nor
 * past its end epoch (`DEAL_ENDED`), the column is below its slot count (`COLUMN_OUT_OF_RANGE`),
 * the `x-dhost-assignment` header is the EIP-712 Assignment of this column to this node, signed
 * by the owner or a repair delegate, as `fillSlot` will check (`NOT_ASSIGNED`), whose deadline has not passed (`ASSIGNMENT_EXPIRED`). Sets `dealWrite` for
 * the route, whose `putShard` keeps the slot within the deal's `bytesPerSlot` (`SLOT_FULL`).
 * Refusals happen before any byte is read.
 *
 * @example
 * app.put('/slots/:slotId/shards/:index', signedWrite(…), dealWrite({ deals, identity, market, now: Date.now }), handler);
 */
export function dealWrite(options: {
  deals: DealSource;
  identity: { address: Address; chainId: number };
  market: Address;
  now: () => number;
}): MiddlewareHandler<NodeEnv> {
  const assigners = new Map<string, Promise<Address | undefined>>();
  return async function dealWriteMiddleware(c, next) {
    const slotId = parseSlotId(c.req.param('slotId') ?? '');
    // The whole address is checked before any chain read: a malformed request costs no RPC call.
    parseShardIndex(c.req.param('index') ?? '');
    const fileIdParam = c.req.query('fileId');
    const columnParam = c.req.query('column');
    if (fileIdParam === undefined || columnParam === undefined) {
      throw new InvalidInputError('a shard write needs the query parameters fileId and column', { details: { fileId: fileIdParam, column: columnParam } });
    }
    const fileId = parseFileId(fileIdParam);
    const column = parseColumn(columnParam);
    const expected = slotIdOf(fileId, column);
    if (expected !== slotId) {
      throw new SlotIdMismatchError('the slot id is not keccak(fileId, column)', { details: { slotId, fileId, column, expected } });
    }

    const [deal, epoch] = await Promise.all([options.deals.getDeal(fileId), options.deals.currentEpoch()]);
    if (!deal) throw new ForbiddenError('DEAL_NOT_FOUND', 'no deal with this id is open on chain', { details: { dealId: fileId } });
    const signer = c.get('signer');
    if (!(await mayRepair(options.deals, deal.owner, signer))) {
      throw new ForbiddenError('NOT_DEAL_OWNER', 'only the deal owner or its repair delegate may write its slots', { details: { dealId: fileId, signer } });
    }
    if (deal.cancelled || epoch >= deal.endEpoch) {
      throw new ForbiddenError('DEAL_ENDED', deal.cancelled ? 'the deal was cancelled' : 'the deal has ended', {
        details: { dealId: fileId, endEpoch: String(deal.endEpoch), currentEpoch: String(epoch), cancelled: deal.cancelled },
      });
    }
    if (column >= deal.slots) {
      throw new ColumnOutOfRangeError(`the deal has ${deal.slots} slots`, { details: { dealId: fileId, column, slots: deal.slots } });
    }

    const header = c.req.header(ASSIGNMENT_HEADER);
    if (header === undefined) {
      throw new ForbiddenError('NOT_ASSIGNED', `a write needs the owner's assignment of this slot to this node in ${ASSIGNMENT_HEADER}`, {
        details: { dealId: fileId, column },
      });
    }
    const assignment = parseAssignmentHeader(header);
    const typed = assignmentTypedData({
      chainId: options.identity.chainId,
      market: options.market,
      dealId: fileId,
      column,
      peer: options.identity.address,
      deadline: assignment.deadline,
    });
    // Every shard of a column carries the same assignment: its signer is recovered once (the
    // recovery is the costly step), keyed by everything the signature covers.
    const key = `${fileId}:${column}:${assignment.deadline}:${assignment.signature}`;
    let recovered = assigners.get(key);
    if (!recovered) {
      if (assigners.size >= ASSIGNER_CACHE_SIZE) assigners.delete(assigners.keys().next().value as string);
      recovered = recoverTypedDataAddress({ ...typed, signature: assignment.signature }).then(
        (a) => getAddress(a) as Address | undefined,
        () => undefined,
      );
      assigners.set(key, recovered);
    }
    const assigner = await recovered;
    if (assigner === undefined || !(await mayRepair(options.deals, deal.owner, assigner))) {
      throw new ForbiddenError('NOT_ASSIGNED', 'the assignment is not the owner’s assignment of this slot to this node', {
        details: { dealId: fileId, column, node: options.identity.address },
      });
    }
    const nowSeconds = BigInt(Math.floor(options.now() / 1000));
    if (assignment.deadline < nowSeconds) {
      throw new ForbiddenError('ASSIGNMENT_EXPIRED', 'the assignment’s deadline has passed', {
        details: { deadline: String(assignment.deadline), now: String(nowSeconds) },
      });
    }

    const maxSlotBytes = Number(deal.bytesPerSlot > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : deal.bytesPerSlot);
    c.set('dealWrite', { dealId: fileId, owner: deal.owner, column, maxSlotBytes, assignment });
    await next();
  };
}

/**
 * True when `who` is the deal's owner or a delegate the owner gave the repair permission on chain.
 *
 * @example
 * if (!(await mayRepair(deals, deal.owner, signer))) throw new ForbiddenError('NOT_DEAL_OWNER', '…');
 */
export async function mayRepair(deals: Pick<DealSource, 'delegation'>, owner: Address, who: Address): Promise<boolean> {
  if (who === owner) return true;
  return ((await deals.delegation(owner, who)) & PERMISSION.repair) !== 0;
}
