import { Hono } from 'hono';
import { validator } from 'hono/validator';
import { z } from 'zod';
import { formatRedundancy, parseRedundancy } from '../../redundancy';
import type { DaemonDeps } from '../daemon-deps';
import { quoteUpload } from '../quote-upload';
import { fileName, redundancyText } from './params';

const quoteBody = z.object({
  name: fileName.default('file'),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  redundancy: redundancyText.optional(),
  epochs: z.number().int().min(1).max(1_000_000).optional(),
});

/**
 * `POST /quote` `{ size, name?, redundancy?, epochs? }`: what uploading a file of that size would
 * cost now, before anything is paid (`quoteUpload`): the redundancy chosen, the slots, epochs,
 * price per slot-epoch and escrow in reward-token wei (decimal strings).
 *
 * @example
 * new Hono().route('/api', quoteRoute(deps));
 */
export function quoteRoute(deps: DaemonDeps) {
  return new Hono().post(
    '/quote',
    validator('json', (value) => quoteBody.parse(value)),
    async (c) => {
      const body = c.req.valid('json');
      const quote = await quoteUpload(deps, {
        size: body.size,
        name: body.name,
        redundancy: body.redundancy === undefined ? undefined : parseRedundancy(body.redundancy),
        epochs: body.epochs,
        signal: c.req.raw.signal,
      });
      return c.json({
        redundancy: formatRedundancy(quote.redundancy),
        redundancyReason: quote.redundancyReason ?? null,
        epochs: quote.epochs,
        slots: quote.slots,
        bytesPerSlot: quote.bytesPerSlot.toString(),
        pricePerSlotEpoch: quote.pricePerSlotEpoch.toString(),
        escrow: quote.escrow.toString(),
      });
    },
  );
}
