import { PassThrough } from 'node:stream';

/**
 * A writable stream that keeps what is written, standing in for stdout/stderr when a test runs a
 * `dhost` command in-process (not a terminal, so no progress bar is drawn).
 *
 * @example
 * const out = captureStream();
 * await main(['ls'], { stdout: out.stream, … });
 * out.text(); // what was printed
 */
export function captureStream(): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough();
  const parts: Buffer[] = [];
  stream.on('data', (d: Buffer) => parts.push(d));
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => Buffer.concat(parts).toString('utf8') };
}
