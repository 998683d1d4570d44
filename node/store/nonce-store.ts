import type BetterSqlite3 from 'better-sqlite3';
import type { Address, Hex } from 'viem';

/** Remembers the nonces of accepted signed requests, in SQLite so that replay is refused after a restart. */
export interface NonceStore {
  /**
   * Records `nonce` for `signer` until `expiresAt` (unix seconds). Returns false, recording
   * nothing, when the pair is already remembered: the request is a replay.
   */
  remember(params: { signer: Address; nonce: Hex; expiresAt: number }): boolean;
  /** Forgets nonces that expired before `now` (unix seconds); returns how many. */
  prune(now: number): number;
  /** Nonces currently remembered. */
  count(): number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS nonces (
  signer TEXT NOT NULL,
  nonce TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (signer, nonce)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_by_expiry ON nonces (expires_at);
`;

/**
 * Creates the nonce table (idempotent) on an open database. A nonce must be kept for twice the
 * signature skew window: a request signed at `t` is accepted until `t + skew`, and `t` may be up
 * to `skew` ahead of the node's clock.
 *
 * @example
 * const nonces = createNonceStore({ db });
 * nonces.remember({ signer, nonce, expiresAt: now + 2 * 300 }); // true
 * nonces.remember({ signer, nonce, expiresAt: now + 2 * 300 }); // false: replay
 */
export function createNonceStore(deps: { db: BetterSqlite3.Database }): NonceStore {
  deps.db.exec(SCHEMA);
  const insert = deps.db.prepare('INSERT OR IGNORE INTO nonces (signer, nonce, expires_at) VALUES (?, ?, ?)');
  const prune = deps.db.prepare('DELETE FROM nonces WHERE expires_at < ?');
  const count = deps.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM nonces');
  return {
    remember: ({ signer, nonce, expiresAt }) => insert.run(signer.toLowerCase(), nonce.toLowerCase(), expiresAt).changes === 1,
    prune: (now) => prune.run(now).changes,
    count: () => count.get()!.n,
  };
}
