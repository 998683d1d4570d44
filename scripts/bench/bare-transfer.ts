import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Hex, LocalAccount } from 'viem';
import { shardPath } from '../../protocol/column';
import { slotIdOf } from '../../protocol/ids';
import { signRequest } from '../../protocol/signing';

/** A node a bare transfer talks to. */
export interface BareTarget {
  url: string;
  address: Hex;
}

/**
 * The benchmark's baseline: the file's bytes cut in chunks and sent with signed PUTs to `targets`
 * (one column per target, `inFlight` chunks at a time per column), then read back with GETs into
 * an output file. Replication (no `dataColumns`): every chunk to every column, read back round
 * robin. Striped (`dataColumns` = k < targets): chunk i to column i mod k at index ⌊i/k⌋, and per
 * stripe one chunk-sized body to each of the other (parity) columns — the bytes an RS(k, n−k)
 * upload sends, without the coding — read back from the data columns. The
 * same HTTP, signing and node work as the pipeline, but no encryption, manifest or reconstruction.
 *
 * @example
 * const { uploadSeconds, downloadSeconds } = await bareTransfer({ account, chainId }, { file, targets, chunkSize, inFlight: 4 });
 */
export async function bareTransfer(
  deps: { account: LocalAccount; chainId: number },
  params: {
    file: string;
    out: string;
    fileId: Hex;
    targets: BareTarget[];
    chunkSize: number;
    inFlight: number;
    columnHeaders?: Record<string, string>[];
    dataColumns?: number;
  },
): Promise<{ uploadSeconds: number; downloadSeconds: number; bytes: number; downloadCpuSeconds: number }> {
  const size = fs.statSync(params.file).size;
  const chunks = Math.ceil(size / params.chunkSize);
  const fileId = params.fileId as Parameters<typeof slotIdOf>[0];
  const fd = fs.openSync(params.file, 'r');
  const readChunk = (i: number): Buffer => {
    const len = Math.min(params.chunkSize, size - i * params.chunkSize);
    const buf = Buffer.allocUnsafe(len);
    fs.readSync(fd, buf, 0, len, i * params.chunkSize);
    return buf;
  };
  const put = async (column: number, index: number, body: Buffer) => {
    const target = params.targets[column];
    const path = shardPath({ slotId: slotIdOf(fileId, column), index, fileId, column });
    const contentSha256 = createHash('sha256').update(body).digest('hex');
    const headers = await signRequest(
      { account: deps.account },
      { method: 'PUT', pathAndQuery: path, contentSha256, node: target.address, chainId: deps.chainId },
    );
    const res = await fetch(`${target.url}${path}`, {
      method: 'PUT',
      headers: { ...headers, ...(params.columnHeaders?.[column] ?? {}), 'content-type': 'application/octet-stream' },
      body,
    });
    if (!res.ok) throw new Error(`bare PUT ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  const k = params.dataColumns ?? 0;
  const striped = k > 0 && k < params.targets.length;
  /** Where chunk i lives: its own index in every column (replication), or column i mod k at ⌊i/k⌋ (striped). */
  const homeOf = (i: number, replica = 0) => (striped ? { column: i % k, index: Math.floor(i / k) } : { column: replica, index: i });
  const get = async (i: number) => {
    const { column, index } = homeOf(i, i % params.targets.length);
    const target = params.targets[column];
    const res = await fetch(`${target.url}${shardPath({ slotId: slotIdOf(fileId, column), index })}`);
    if (!res.ok) throw new Error(`bare GET ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    const expected = Math.min(params.chunkSize, size - i * params.chunkSize);
    if (body.length !== expected)
      throw new Error(
        `bare GET of chunk ${index} from column ${column}: ${body.length} bytes, expected ${expected} (content-length ${res.headers.get('content-length')})`,
      );
    return body;
  };
  const t0 = performance.now();
  // Upload: a window of `inFlight` chunks, each chunk to every column.
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= chunks) return;
      const body = readChunk(i);
      if (!striped) {
        await Promise.all(params.targets.map((_, c) => put(c, i, body)));
        continue;
      }
      const home = homeOf(i);
      const parity = home.column === 0 ? params.targets.slice(k).map((_, p) => put(k + p, home.index, body)) : [];
      await Promise.all([put(home.column, home.index, body), ...parity]);
    }
  };
  await Promise.all(Array.from({ length: params.inFlight }, worker));
  const t1 = performance.now();
  // Download: each chunk from one column (round robin), inFlight chunks at a time, written to the
  // output file at its offset (as a download must put the bytes somewhere).
  const outFd = fs.openSync(params.out, 'w');
  const cpu0 = process.cpuUsage();
  let nextGet = 0;
  let received = 0;
  const getWorker = async () => {
    for (;;) {
      const i = nextGet++;
      if (i >= chunks) return;
      const body = await get(i);
      await new Promise<void>((resolve, reject) => fs.write(outFd, body, 0, body.length, i * params.chunkSize, (err) => (err ? reject(err) : resolve())));
      received += body.length;
    }
  };
  await Promise.all(Array.from({ length: params.inFlight }, getWorker));
  fs.closeSync(outFd);
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  fs.closeSync(fd);
  if (received !== size) throw new Error(`bare download got ${received} of ${size} bytes`);
  return { uploadSeconds: (t1 - t0) / 1000, downloadSeconds: (t2 - t1) / 1000, bytes: size, downloadCpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
