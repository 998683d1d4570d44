import fs from 'node:fs';
import type { Hex, LocalAccount } from 'viem';
import type { ReadAccess } from '../../client/access/read-access';
import { getShard } from '../../client/transport/get-shard';
import { putShard } from '../../client/transport/put-shard';
import type { FileId } from '../../protocol/ids';

/** A node a bare transfer talks to. */
export interface BareTarget {
  url: string;
  address: Hex;
}

/**
 * The benchmark's baseline: the file's bytes cut in chunks and sent with the client's own
 * transport (`putShard`: signed PUTs over keep-alive `node:http`) to `targets`, one column per
 * target, then read back with `getShard` (retrieval token) into an output file. The same layout,
 * bytes on the wire and concurrency as the pipeline, without encryption, coding, hashing trees or
 * a manifest:
 *
 * - replication (no `dataColumns`): row i = chunk i, sent to every column at index i; read back
 *   round robin, `readAhead` chunks in flight;
 * - striped (`dataColumns` = k < targets): row s = chunks s·k … s·k+k−1 to columns 0…k−1 at index
 *   s, and one chunk-sized body to each parity column (the bytes an RS(k, n−k) upload sends);
 *   read back from the data columns, `readAhead` stripes of k requests in flight.
 *
 * Uploads keep `inFlight` PUTs in flight per column, rows in order, as the pipeline's first pass.
 *
 * @example
 * const { uploadSeconds, downloadSeconds } = await bareTransfer({ account, chainId, access }, { file, out, fileId, targets, chunkSize, inFlight: 4, readAhead: 2 });
 */
export async function bareTransfer(
  deps: { account: Pick<LocalAccount, 'signMessage' | 'address'>; chainId: number; access: ReadAccess },
  params: {
    file: string;
    out: string;
    fileId: Hex;
    targets: BareTarget[];
    chunkSize: number;
    inFlight: number;
    /** Rows read ahead on download (stripes under striping, chunks under replication). */
    readAhead: number;
    columnHeaders?: Record<string, string>[];
    dataColumns?: number;
  },
): Promise<{
  uploadSeconds: number;
  downloadSeconds: number;
  bytes: number;
  bytesSent: number;
  uploadCpuSeconds: number;
  downloadCpuSeconds: number;
  /** Wall-clock times (epoch ms): upload start, upload end (= download start), download end. */
  times: { uploadStartedAt: number; uploadEndedAt: number; downloadEndedAt: number };
}> {
  const size = fs.statSync(params.file).size;
  const chunks = Math.ceil(size / params.chunkSize);
  const fileId = params.fileId as FileId;
  const n = params.targets.length;
  const k = params.dataColumns ?? 0;
  const striped = k > 0 && k < n;
  const rows = striped ? Math.ceil(chunks / k) : chunks;
  const fd = fs.openSync(params.file, 'r');
  const readChunk = (i: number): Buffer => {
    const len = Math.min(params.chunkSize, size - i * params.chunkSize);
    const buf = Buffer.allocUnsafe(len);
    fs.readSync(fd, buf, 0, len, i * params.chunkSize);
    return buf;
  };
  const peerOf = (column: number) => ({ operator: params.targets[column].address, endpoint: params.targets[column].url });
  let bytesSent = 0;

  // Upload: per column at most `inFlight` PUTs; rows in order, every column of a row handed out before the next row.
  const inFlight = new Array<number>(n).fill(0);
  const waiters: (() => void)[][] = Array.from({ length: n }, () => []);
  const pending = new Set<Promise<void>>();
  let failure: unknown;
  const acquire = async (column: number) => {
    while (inFlight[column] >= params.inFlight) await new Promise<void>((resolve) => waiters[column].push(resolve));
  };
  const send = (column: number, index: number, body: Uint8Array) => {
    inFlight[column] += 1;
    bytesSent += body.length;
    const task = putShard(
      { account: deps.account, chainId: deps.chainId },
      { peer: peerOf(column), fileId, column, index, body, headers: params.columnHeaders?.[column] },
    )
      .then(
        () => {},
        (err) => {
          failure ??= err;
        },
      )
      .finally(() => {
        pending.delete(task);
        inFlight[column] -= 1;
        waiters[column].shift()?.();
      });
    pending.add(task);
  };
  const t0 = performance.now();
  const uploadStartedAt = Date.now();
  const upCpu0 = process.cpuUsage();
  for (let row = 0; row < rows; row++) {
    if (failure) throw failure;
    if (!striped) {
      const body = readChunk(row);
      for (let c = 0; c < n; c++) {
        await acquire(c);
        send(c, row, body);
      }
      continue;
    }
    const data = Array.from({ length: k }, (_, j) => (row * k + j < chunks ? readChunk(row * k + j) : undefined));
    for (let c = 0; c < n; c++) {
      // Parity columns get a chunk-sized body (the stripe's first chunk): the bytes, not the coding.
      const body = c < k ? data[c] : data[0];
      if (!body) continue;
      await acquire(c);
      send(c, row, body);
    }
  }
  while (pending.size > 0) await Promise.all([...pending]);
  if (failure) throw failure;
  const t1 = performance.now();
  const uploadEndedAt = Date.now();
  const upCpu = process.cpuUsage(upCpu0);

  // Download: `readAhead` rows in flight (a stripe's k data shards at once), written in order.
  const out = await fs.promises.open(params.out, 'w');
  const cpu0 = process.cpuUsage();
  const fetchChunk = (i: number): Promise<Uint8Array> => {
    const column = striped ? i % k : i % n;
    const index = striped ? Math.floor(i / k) : i;
    const t = params.targets[column];
    return getShard(
      { access: deps.access },
      { endpoint: t.url, node: t.address, fileId, column, index, maxBytes: Math.min(params.chunkSize, size - i * params.chunkSize) },
    );
  };
  const fetchRow = (row: number): Promise<Uint8Array[]> => {
    const first = striped ? row * k : row;
    const count = striped ? Math.min(k, chunks - first) : 1;
    return Promise.all(Array.from({ length: count }, (_, j) => fetchChunk(first + j)));
  };
  const ahead = new Map<number, Promise<Uint8Array[]>>();
  let next = 0;
  let received = 0;
  for (let row = 0; row < rows; row++) {
    while (next < rows && next < row + params.readAhead) {
      const task = fetchRow(next);
      task.catch(() => {});
      ahead.set(next, task);
      next += 1;
    }
    const pieces = await (ahead.get(row) as Promise<Uint8Array[]>);
    ahead.delete(row);
    for (const piece of pieces) {
      let offset = 0;
      while (offset < piece.length) offset += (await out.write(piece, offset, piece.length - offset)).bytesWritten;
      received += piece.length;
    }
  }
  await out.sync();
  await out.close();
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  fs.closeSync(fd);
  if (received !== size) throw new Error(`bare download got ${received} of ${size} bytes`);
  return {
    uploadSeconds: (t1 - t0) / 1000,
    downloadSeconds: (t2 - t1) / 1000,
    bytes: size,
    bytesSent,
    uploadCpuSeconds: (upCpu.user + upCpu.system) / 1e6,
    downloadCpuSeconds: (cpu.user + cpu.system) / 1e6,
    times: { uploadStartedAt, uploadEndedAt, downloadEndedAt: Date.now() },
  };
}
