/**
 * Off-chain defaults, in one place (the on-chain ones live in the contracts' configuration
 * structs). Each value says why it is what it is.
 */
export const defaults = {
  /** 1 MiB: large enough that per-request overhead (signature, fsync, HTTP) is under 1% of the
   * transfer, small enough that a client holds only a few in memory at once. */
  chunkSize: 1024 * 1024,
  /** Smallest and largest chunk size a client may choose (manifest validation bounds). */
  minChunkSize: 4 * 1024,
  maxChunkSize: 16 * 1024 * 1024,
  /** Three copies: the prototype's redundancy, and survives two lost peers until erasure coding. */
  replicas: 3,
  /** A node takes shards up to 17 MiB: the largest chunk (16 MiB) plus GCM tag, with room for the
   * manifest of a file of up to ~100k chunks. */
  maxShardBytes: 17 * 1024 * 1024,
  /** Signed requests older or newer than 5 minutes are refused: covers honest clock skew, keeps
   * the nonce memory the node needs small. */
  maxSignatureSkewSeconds: 300,
  /** Columns uploaded at once per file (one per peer, so at most `replicas`), and shards in
   * flight per column: enough to fill a loopback or LAN link, bounded memory (~ 4 × 2 × 1 MiB). */
  shardsInFlightPerColumn: 4,
  /** A peer that does not answer within this time is treated as down for the request. */
  requestTimeoutMs: 30_000,
  /** `/status` probe timeout during placement: slow peers are skipped, not waited for. */
  statusTimeoutMs: 3_000,
  /** The RPC endpoint used when none is given: the devnet's Hardhat node. */
  rpcUrl: 'http://127.0.0.1:8545',
} as const;

/** The dhost version spoken on the wire and shown by `/status`. */
export const PROTOCOL_VERSION = '0.1.0';
