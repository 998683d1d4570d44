import { decodeRetrievalToken, type RetrievalToken } from '../protocol/retrieval-token';
import { InvalidHandleError } from './errors';
import { type FileLocation, parseAnyHandle } from './handle';

/** A handle, or a share link: a handle whose query also carries a retrieval token (`t=`). */
export interface ParsedLink {
  /** The handle without the token. */
  handle: string;
  location: FileLocation;
  /** The token as it travels (URL-safe base64), when the link carries one. */
  tokenText?: string;
  token?: RetrievalToken;
}

const TOKEN_PART = /^(dhost:\/\/[^#?]+(?:\?[^#]*?)?)[?&]t=([A-Za-z0-9_-]{1,400})(#.*)$/;

/**
 * Formats a share link: the file's handle with the encoded retrieval token as its last query
 * parameter, the file key staying in the fragment (which browsers and HTTP clients never send).
 *
 * @example
 * formatShareLink({ handle: 'dhost://3f…#k3y…', tokenText }); // 'dhost://3f…?t=AQ…#k3y…'
 */
export function formatShareLink(p: { handle: string; tokenText: string }): string {
  const { handle } = parseLink(p.handle);
  decodeRetrievalToken(p.tokenText);
  const hash = handle.indexOf('#');
  const base = handle.slice(0, hash);
  return `${base}${base.includes('?') ? '&' : '?'}t=${p.tokenText}${handle.slice(hash)}`;
}

/**
 * Parses a handle or a share link (`parseAnyHandle` plus an optional `t=<token>` as the last query
 * parameter). Throws `InvalidHandleError` for a malformed handle and `RetrievalTokenError`
 * (`TOKEN_MALFORMED`) for a malformed token, or `InvalidHandleError` when the token is for another
 * deal than the handle's.
 *
 * @example
 * const { location, token } = parseLink('dhost://3f…?t=AQ…#k3y…');
 */
export function parseLink(text: string): ParsedLink {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  const match = TOKEN_PART.exec(trimmed);
  if (!match) {
    const location = parseAnyHandle(trimmed);
    return { handle: trimmed, location };
  }
  const handle = `${match[1]}${match[3]}`;
  const location = parseAnyHandle(handle);
  const token = decodeRetrievalToken(match[2]);
  if (token.dealId !== location.dealId) {
    throw new InvalidHandleError('the link’s token opens another deal than its handle names', {
      details: { dealId: location.dealId, tokenDeal: token.dealId },
    });
  }
  return { handle, location, tokenText: match[2], token };
}

/**
 * The web form of a share link: the share page every node serves (`<endpoint>/share/`), with the
 * whole `dhost://` link in the fragment, so that neither the token's holder's browser nor the node
 * ever sends the key anywhere. Any browser opens it; the page reads the file straight from the
 * holders with the link's token (signed URLs) and decrypts it locally.
 *
 * @example
 * formatWebShareLink({ endpoint: 'https://node1.example.org', link }); // 'https://node1.example.org/share/#dhost%3A%2F%2F…'
 */
export function formatWebShareLink(p: { endpoint: string; link: string }): string {
  parseLink(p.link);
  return `${p.endpoint.replace(/\/+$/, '')}/share/#${encodeURIComponent(p.link)}`;
}
