import { Hono } from 'hono';
import { validator } from 'hono/validator';
import { z } from 'zod';
import { extendDeal } from '../../deal/extend-deal';
import type { DaemonDeps } from '../daemon-deps';
import { locateFile } from '../locate-file';
import { fileIdParam } from './params';

const extendBody = z.object({ epochs: z.number().int().min(1).max(1_000_000) });

/**
 * `POST /files/:fileId/extend` `{ epochs }`: pays for `epochs` more epochs of the file's deal
 * (`extendDeal`; for a file of a batch, the batch's deal) and answers its new end epoch.
 *
 * @example
 * new Hono().route('/api', extendFileRoute(deps));
 */
export function extendFileRoute(deps: DaemonDeps) {
  return new Hono().post(
    '/files/:fileId/extend',
    validator('param', (value) => fileIdParam.parse(value)),
    validator('json', (value) => extendBody.parse(value)),
    async (c) => {
      const { dealId } = await locateFile(deps, { fileId: c.req.valid('param').fileId });
      const deal = await extendDeal(
        { publicClient: deps.publicClient, walletClient: deps.walletClient, market: deps.contracts.market, token: deps.contracts.token },
        { dealId, extraEpochs: c.req.valid('json').epochs, signal: c.req.raw.signal },
      );
      return c.json({ dealId, endEpoch: deal.endEpoch.toString(), escrow: deal.escrow.toString() }, 200);
    },
  );
}
