import { Hono } from 'hono';
import { validator } from 'hono/validator';
import { cancelDeal } from '../../deal/cancel-deal';
import type { DaemonDeps } from '../daemon-deps';
import { locateFile } from '../locate-file';
import { fileIdParam } from './params';

/**
 * `POST /files/:fileId/cancel`: cancels the file's deal early and takes the unearned escrow back
 * (`cancelDeal`; for a file of a batch this ends the whole batch's deal).
 *
 * @example
 * new Hono().route('/api', cancelFileRoute(deps));
 */
export function cancelFileRoute(deps: DaemonDeps) {
  return new Hono().post(
    '/files/:fileId/cancel',
    validator('param', (value) => fileIdParam.parse(value)),
    async (c) => {
      const { dealId } = await locateFile(deps, { fileId: c.req.valid('param').fileId });
      const deal = await cancelDeal(
        { publicClient: deps.publicClient, walletClient: deps.walletClient, market: deps.contracts.market },
        { dealId, signal: c.req.raw.signal },
      );
      return c.json({ dealId, cancelled: deal.cancelled, escrow: deal.escrow.toString() }, 200);
    },
  );
}
