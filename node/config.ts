import { defaults } from '../protocol/config';

/**
 * The peer node's own defaults, in one place. Each value says why it is what it is; the protocol
 * ones (shard size, signature skew) come from `protocol/config.ts` so node and client agree.
 *
 * @example
 * const interval = nodeDefaults.heartbeatIntervalFraction * heartbeatTimeoutMs;
 */
export const nodeDefaults = {
  /** Listen on loopback unless told otherwise: a fresh node is not exposed by accident. */
  host: '127.0.0.1',
  /** The largest shard accepted: the protocol's bound, so any shard a client makes fits. */
  maxShardBytes: defaults.maxShardBytes,
  /** Signed requests outside this window are refused; the nonce memory covers twice this window. */
  maxSignatureSkewSeconds: defaults.maxSignatureSkewSeconds,
  /** 0.001 token per GiB per epoch: a visible, non-zero devnet price that the operator overrides. */
  pricePerGiBEpoch: 10n ** 15n,
  /** Heartbeat every third of the registry's timeout: two beats may fail before the peer lapses. */
  heartbeatIntervalFraction: 1 / 3,
  /** ±10% jitter, so that peers started together do not all send their heartbeat in one block. */
  heartbeatJitter: 0.1,
  /** A failed heartbeat is retried after this delay (capped at the interval), not a full interval later. */
  heartbeatRetryMs: 15_000,
  /** Expired nonces are pruned this often; the table stays small (one row per write in 2 × skew). */
  noncePruneIntervalMs: 60_000,
  /** Marketplace work (log scan, fills, proofs) four times per epoch: a challenge is answered well inside its epoch. */
  marketIntervalFraction: 1 / 4,
  /** …but at least every 2 s: an uploader waits for the fills after committing its root (its notice
   * starts a round at once; the interval is the fallback). A quiet round is cheap for any RPC
   * endpoint: the prover and the watch each read the current epoch, and nothing else once the
   * epoch's seed is recorded and every slot is done for it (`ProverMemory`, `MissingWatch`). */
  marketIntervalMaxMs: 2_000,
  /** Shard uploads in progress at once; one more gets 429 `TOO_MANY_UPLOADS`. 64 × a 16 MiB shard
   * bounds buffers and open temporary files, and is far above the few shards per column a client keeps in flight. */
  maxConcurrentUploads: 64,
  /** The `retry-after` of a refused upload: an upload slot frees up within a shard's transfer time. */
  uploadRetryAfterSeconds: 1,
  /** Signed writes per verified signer: a burst of 2000 then 1000 a second — far above what one client
   * sends (benchmarks write hundreds of shards a second from one address), low enough that a flood of
   * tiny signed requests cannot monopolise the node. */
  signerRateLimit: { burst: 2_000, perSecond: 1_000 },
  /** Unauthenticated reads (GET/HEAD) per remote address: downloads fetch many shards in parallel,
   * and devnets and tests read from one loopback address, so this only stops a flood. */
  readRateLimit: { burst: 5_000, perSecond: 2_000 },
  /** Most buckets kept per limiter (full and least recently used ones are forgotten first): bounded memory. */
  rateLimitMaxKeys: 10_000,
  /** A client must send its request headers within 15 s (slowloris); Node's default is 60 s. */
  headersTimeoutMs: 15_000,
  /** …and the whole request, body included, within 120 s: a 16 MiB shard at 140 KB/s. */
  requestTimeoutMs: 120_000,
  /** An idle keep-alive connection is closed after 5 s (Node's default, kept explicit). */
  keepAliveTimeoutMs: 5_000,
  /** How often the server checks those timeouts (Node's default of 30 s would let a slow header linger 45 s). */
  connectionsCheckingIntervalMs: 1_000,
  /** File name of the SQLite index inside the data directory. */
  indexFileName: 'index.sqlite',
} as const;
