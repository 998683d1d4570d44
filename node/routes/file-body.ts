import type { FileHandle } from 'node:fs/promises';
import { NotFoundError } from '../errors';

/**
 * A response body that reads `size` bytes of an open file, `pieceBytes` at a time, each piece
 * read straight into a buffer of its own and handed to the response as is (`Readable.toWeb` over
 * a file stream would copy every piece once more on the way). A read is made only when the
 * response wants more (the socket has drained). The handle is closed when the last byte is read,
 * when the client goes away (cancel), and on any error. A file that ends before `size` fails the
 * stream (`NotFoundError SHARD_NOT_FOUND`), which cuts the response short of its Content-Length:
 * never a byte the index does not describe. `signal` (see `responseGone`) closes the handle too,
 * for a client gone before the server began to read the body.
 *
 * @example
 * return c.body(fileBody(handle, { size: row.size, pieceBytes: 256 * 1024, signal: responseGone(c) }), 200, headers);
 */
export function fileBody(handle: FileHandle, params: { size: number; pieceBytes: number; signal?: AbortSignal }): ReadableStream<Uint8Array> {
  let position = 0;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    params.signal?.removeEventListener('abort', onGone);
    await handle.close().catch(() => {});
  };
  const onGone = () => void close();
  if (params.signal?.aborted) onGone();
  else params.signal?.addEventListener('abort', onGone, { once: true });
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (position >= params.size) {
            await close();
            controller.close();
            return;
          }
          const piece = Buffer.allocUnsafe(Math.min(params.pieceBytes, params.size - position));
          let filled = 0;
          while (filled < piece.length) {
            const { bytesRead } = await handle.read(piece, filled, piece.length - filled, position + filled);
            if (bytesRead === 0) {
              throw new NotFoundError('SHARD_NOT_FOUND', 'the shard file ended before its indexed length', {
                details: { size: params.size, at: position + filled },
              });
            }
            filled += bytesRead;
          }
          position += filled;
          controller.enqueue(piece);
        } catch (error) {
          await close();
          controller.error(error);
        }
      },
      cancel: close,
    },
    // One piece ahead at most: the next read waits until the socket has taken this one.
    { highWaterMark: 0 },
  );
}
