import type { Context, MiddlewareHandler } from 'hono';
import type { NodeEnv } from '../env';
import { TooManyRequestsError } from '../errors';

/** A token bucket: up to `burst` requests at once, refilled at `perSecond`. */
export interface RateBudget {
  burst: number;
  perSecond: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key (a verified signer, a remote address): each request takes a token; an
 * empty bucket refuses with 429 `RATE_LIMITED` and `retry-after` (seconds until a token is back).
 * Requests for which `key` answers undefined pass uncounted. At most `maxKeys` buckets are kept:
 * full ones are forgotten first, then the least recently used (a refused request counts as a use). State lives in the returned handler.
 *
 * @example
 * app.use('*', rateLimit({ budget: { burst: 100, perSecond: 50 }, key: (c) => remoteAddress(c), now: Date.now, what: 'remote address' }));
 */
export function rateLimit(options: {
  budget: RateBudget;
  key: (c: Context<NodeEnv>) => string | undefined;
  now: () => number;
  /** Who is limited, for the message: "signer", "remote address". */
  what: string;
  maxKeys?: number;
}): MiddlewareHandler<NodeEnv> {
  const { burst, perSecond } = options.budget;
  const maxKeys = options.maxKeys ?? 10_000;
  const buckets = new Map<string, Bucket>();
  const refill = (bucket: Bucket, now: number) => Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * perSecond);

  const evict = (now: number) => {
    for (const [key, bucket] of buckets) if (refill(bucket, now) >= burst) buckets.delete(key);
    for (const key of buckets.keys()) {
      if (buckets.size < maxKeys) break;
      buckets.delete(key);
    }
  };

  return async function rateLimitMiddleware(c, next) {
    const key = options.key(c);
    if (key !== undefined) {
      const now = options.now();
      const found = buckets.get(key);
      const tokens = found ? refill(found, now) : burst;
      // Re-inserted, refused or not, so that Map order is least recently used first: a key that keeps knocking stays remembered.
      buckets.delete(key);
      if (buckets.size >= maxKeys) evict(now);
      buckets.set(key, { tokens: tokens < 1 ? tokens : tokens - 1, at: now });
      if (tokens < 1) {
        throw new TooManyRequestsError('RATE_LIMITED', `too many requests from this ${options.what}`, {
          retryAfterSeconds: (1 - tokens) / perSecond,
          details: { burst, perSecond },
        });
      }
    }
    await next();
  };
}

/**
 * The TCP peer's address on @hono/node-server; `local` when there is none (`app.request()` in tests).
 * Proxies' `x-forwarded-for` is not trusted: a node behind a proxy limits the proxy.
 *
 * @example
 * rateLimit({ …, key: (c) => remoteAddress(c) });
 */
export function remoteAddress(c: Context<NodeEnv>): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'local';
}
