import { Hono } from 'hono';
import { parseFileId } from '../../protocol/ids';
import type { FileHoldings } from '../../protocol/wire';
import type { NodeEnv } from '../env';
import { describeSlots } from '../store/describe-slots';
import type { SlotIndex } from '../store/slot-index';

/**
 * `GET /files/:fileId`: the slots of a file this node holds, with their shards. An unknown file
 * answers 200 with `slots: []` (holding nothing of a file is not an error).
 *
 * @example
 * app.route('/', fileRoutes({ index }));
 */
export function fileRoutes(deps: { index: Pick<SlotIndex, 'slotsOfFile' | 'shardsOf'> }): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();
  app.get('/files/:fileId', (c) => {
    const fileId = parseFileId(c.req.param('fileId'));
    const slots = describeSlots(deps, { slots: deps.index.slotsOfFile(fileId) });
    const body: FileHoldings = { fileId, slots: slots.map(({ slotId, column, owner, shards, bytes }) => ({ slotId, column, owner, shards, bytes })) };
    return c.json(body);
  });
  return app;
}
