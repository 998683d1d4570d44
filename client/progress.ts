/**
 * Progress of a long operation. `phase` says which bytes are counted: `upload` (plaintext bytes
 * read, encrypted and handed to every column), `download` (plaintext bytes emitted), `manifest`
 * (manifest bytes stored or fetched), `fill` (slots filled on chain: `bytes` counts filled slots,
 * `totalBytes` the deal's slots).
 */
export interface Progress {
  phase: 'upload' | 'download' | 'manifest' | 'fill';
  bytes: number;
  totalBytes: number;
}

/**
 * A progress callback. Called often; keep it cheap.
 *
 * @example
 * const onProgress: OnProgress = (p) => console.log(p.phase, `${p.bytes}/${p.totalBytes}`);
 */
export type OnProgress = (p: Progress) => void;
