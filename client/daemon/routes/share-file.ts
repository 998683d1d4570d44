import { Hono } from 'hono';
import { validator } from 'hono/validator';
import { getAddress } from 'viem';
import { z } from 'zod';
import { createShareLink } from '../../access/create-share-link';
import { readChainHolders } from '../../deal/read-holders';
import { formatWebShareLink } from '../../share-link';
import type { DaemonDeps } from '../daemon-deps';
import { locateFile } from '../locate-file';
import { fileIdParam } from './params';

const shareBody = z.object({
  /** One minute to one year. */
  expiresInSeconds: z
    .number()
    .int()
    .min(60)
    .max(366 * 86_400),
  to: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, 'to is an address: 0x and 40 hex digits')
    .optional(),
});

/**
 * `POST /files/:fileId/share` `{ expiresInSeconds, to? }`: a share link (`createShareLink`: the
 * handle plus a read token the user signs, for any bearer or only for `to`), its web form on the
 * share page of one of the file's holders (`formatWebShareLink`), and when it expires.
 *
 * @example
 * new Hono().route('/api', shareFileRoute(deps));
 */
export function shareFileRoute(deps: DaemonDeps) {
  return new Hono().post(
    '/files/:fileId/share',
    validator('param', (value) => fileIdParam.parse(value)),
    validator('json', (value) => shareBody.parse(value)),
    async (c) => {
      const body = c.req.valid('json');
      const { handle, dealId } = await locateFile(deps, { fileId: c.req.valid('param').fileId });
      const { market, registry } = deps.contracts;
      const { link, token } = await createShareLink(
        { account: deps.account, publicClient: deps.publicClient, now: deps.now },
        {
          chainId: deps.chainId,
          market,
          handle,
          expiresInSeconds: body.expiresInSeconds,
          grantee: body.to === undefined ? undefined : getAddress(body.to.toLowerCase()),
        },
      );
      const holders = (await readChainHolders({ publicClient: deps.publicClient }, { market, registry, dealId })) ?? [];
      const webLink = holders[0] ? formatWebShareLink({ endpoint: holders[0].endpoint, link }) : null;
      return c.json({ link, webLink, expiresAt: new Date(Number(token.expiresAt) * 1000).toISOString(), grantee: token.grantee }, 200);
    },
  );
}
