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
  /** Three copies under replication (`--redundancy replicate:N`, and the fallback when too few peers
   * are eligible for erasure coding): survives two lost peers at 3× the bytes. */
  replicas: 3,
  /** RS(4,2) below `largeNetworkPeers` active peers: six columns fit an eight-peer devnet with two
   * spares left for repair, survives any two lost columns at 1.5× the bytes (half of 3 replicas). */
  smallNetworkRedundancy: { dataShards: 4, parityShards: 2 },
  /** RS(10,6) from `largeNetworkPeers` active peers: survives any six lost columns at 1.6× the bytes
   * (docs/durability.md); 16 columns need 16 distinct peers. */
  largeNetworkRedundancy: { dataShards: 10, parityShards: 6 },
  /** Active peers from which the default redundancy is RS(10,6) (one per column). */
  largeNetworkPeers: 16,
  /** A node takes shards up to 17 MiB: the largest chunk (16 MiB) plus GCM tag, with room for the
   * manifest of a file of up to ~100k chunks. */
  maxShardBytes: 17 * 1024 * 1024,
  /** Signed requests older or newer than 5 minutes are refused: covers honest clock skew, keeps
   * the nonce memory the node needs small. */
  maxSignatureSkewSeconds: 300,
  /** Columns uploaded at once per file (one per peer), and shards in
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
