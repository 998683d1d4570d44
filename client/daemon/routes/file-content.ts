import { Hono } from 'hono';
import { validator } from 'hono/validator';
import { accessForLink } from '../../access/access-for-link';
import { download } from '../../download';
import type { Manifest } from '../../manifest';
import { parseLink } from '../../share-link';
import type { DaemonDeps } from '../daemon-deps';
import { locateFile } from '../locate-file';
import { fileIdParam } from './params';

/** `content-disposition` for a name: an ASCII fallback and the exact name in RFC 5987 form. */
function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * `GET /files/:fileId/content`: the decrypted file, streamed as it is read back from its holders
 * (every shard checked, every chunk's tag checked), with its name in `content-disposition`. The
 * first piece is read before answering, so a file that cannot be read is a JSON error, not a
 * truncated body; a failure later ends the stream with an error.
 *
 * @example
 * new Hono().route('/api', fileContentRoute(deps));
 */
export function fileContentRoute(deps: DaemonDeps) {
  return new Hono().get(
    '/files/:fileId/content',
    validator('param', (value) => fileIdParam.parse(value)),
    async (c) => {
      const { handle } = await locateFile(deps, { fileId: c.req.valid('param').fileId });
      const { market, registry } = deps.contracts;
      const link = parseLink(handle);
      const access = await accessForLink({ account: deps.account, publicClient: deps.publicClient }, { chainId: deps.chainId, market, link });
      let manifest: Manifest | undefined;
      const abort = new AbortController();
      const pieces = download(
        { peers: deps.peers, request: deps.request, access, marketplace: { publicClient: deps.publicClient, market, registry } },
        {
          handle,
          publicEndpointsOnly: deps.publicEndpointsOnly,
          signal: abort.signal,
          onManifest: (m) => {
            manifest = m;
          },
        },
      )[Symbol.asyncIterator]();
      const first = await pieces.next();
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          if (!first.done) controller.enqueue(first.value);
          else controller.close();
        },
        async pull(controller) {
          const next = await pieces.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        },
        cancel(reason) {
          abort.abort(reason);
        },
      });
      const m = manifest as Manifest | undefined;
      return c.body(body, 200, {
        'content-type': 'application/octet-stream',
        'content-disposition': attachment(m?.name ?? 'file'),
        ...(m ? { 'content-length': String(m.size) } : {}),
      });
    },
  );
}
