import { Hono } from 'hono';
import { parseFileId } from '../../protocol/ids';
import type { ErrorBody } from '../../protocol/wire';
import type { NodeEnv } from '../env';
import type { DealHolder, HolderSource } from '../market/chain-holders';

/** The answer of `GET /deals/:dealId/holders`. */
export interface DealHoldersBody {
  dealId: string;
  /** One entry per filled slot, by column (a column whose slot is empty or freed is absent). */
  holders: DealHolder[];
}

/**
 * `GET /deals/:dealId/holders` → `{ dealId, holders: [{ column, slotId, operator, endpoint }] }`: who
 * holds the deal's columns, as the chain records it (filled slots and the registry's endpoints,
 * cached for seconds by `holders`). Public (any origin may read it, see public-reads.ts): it tells
 * nothing the chain does not, and lets the share page — which cannot read the chain — find the
 * holders. A malformed id answers 400 `INVALID_INPUT`; a deal the chain does not know, 404
 * `DEAL_NOT_FOUND`.
 *
 * @example
 * app.route('/', dealHolderRoutes({ holders: createChainHolders({ publicClient }, { market, registry }) }));
 */
export function dealHolderRoutes(deps: { holders: HolderSource }): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();
  app.get('/deals/:dealId/holders', async (c) => {
    const dealId = parseFileId(c.req.param('dealId'));
    const holders = await deps.holders.holders(dealId);
    if (!holders) {
      const body: ErrorBody = { error: { code: 'DEAL_NOT_FOUND', message: 'the chain knows no deal with this id', details: { dealId } } };
      return c.json(body, 404);
    }
    const body: DealHoldersBody = { dealId, holders: [...holders].sort((a, b) => a.column - b.column) };
    return c.json(body, 200, { 'cache-control': 'public, max-age=5' });
  });
  return app;
}
