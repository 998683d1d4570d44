/**
 * How every `dhost` process is started (the `dhost` command's shebang, the devnet's and the test
 * kit's node processes, the benchmark's clients, the systemd unit in docs/operating.md).
 *
 * - `--max-semi-space-size=1` (MiB): V8's young generation stays at 2 MiB instead of growing to
 *   32 MiB. dhost allocates many short-lived 1 MiB buffers (shards, ciphertext, socket reads)
 *   whose memory is outside the heap and freed only when their small heap objects are collected;
 *   frequent young collections free them within about a megabyte of allocation.
 * - `--expose-gc`: gives the process V8's collector, which a download (and a node, for the shard
 *   bodies it receives) asks for a young collection after every 2 MiB received, and for a full one
 *   when heap and array buffers grew 16 MiB past what the last full one left (`protocol/scavenger.ts`):
 *   Node reads sockets into fresh 64 KiB buffers that would otherwise pile up to V8's 64 MB
 *   external-memory limit. In three 1 GiB benchmark rounds the client peaked at 123–156 MiB
 *   without it, 116–139 MiB with young collections alone, 112–117 MiB with the full ones too.
 * - `MALLOC_ARENA_MAX=2`: glibc keeps at most two malloc arenas instead of one per thread that
 *   ever allocated (libuv's pool, OpenSSL, SQLite), which otherwise each retain freed memory.
 *
 * Measured with `npm run bench` (6 nodes, RS(4,2)): node peak RSS under 16 concurrent uploads of
 * 32 MiB fell from 150–167 MB to 115–126 MB at the same aggregate MB/s in the run that chose these
 * values (later runs: 115–152 MB, one node once 166 MB); the client's idle RSS from 100 to 83 MB. `cli/bin/dhost.js` repeats these values in its shebang (a test checks they agree).
 *
 * @example
 * spawn(process.execPath, [...RUNTIME_NODE_FLAGS, 'cli/bin/dhost.js', 'node'], { env: { ...process.env, ...RUNTIME_ENV } });
 */
export const RUNTIME_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--expose-gc'];

/**
 * More flags for a peer node (`dhost node`: the devnet, the test kit, the systemd unit in
 * docs/operating.md), after `RUNTIME_NODE_FLAGS`.
 *
 * - `--heap-growing-percent=50`: after each full collection V8 lets the old generation grow by half
 *   of what survived before the next one, instead of a factor it picks itself (up to 4×). Objects
 *   that live across a network wait (requests, promises) reach the old generation, and their
 *   garbage piled up in V8's own scheme: a probe that keeps 20 MiB live peaks at 40 MiB of heap with
 *   the flag, 100+ MiB without, for the same CPU time. With it, nodes under 16 concurrent uploads
 *   peaked at 113–126 MiB in two benchmark runs (114–149 MiB in four without).
 *
 *   Not for clients: a download receives far more bytes than it allocates heap, and there the flag
 *   doubled the client's CPU (more full collections), taking the download below 80 % of the bare
 *   transport in the benchmark (0.67–0.87 in six runs with it, 0.74–1.27 without).
 */
export const NODE_SERVER_FLAGS: readonly string[] = ['--heap-growing-percent=50'];

/** Environment for every `dhost` process (see `RUNTIME_NODE_FLAGS`). */
export const RUNTIME_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
