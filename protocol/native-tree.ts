import path from 'node:path';
import { packageRoot } from './package-root';

/**
 * The native segment-tree hasher (`protocol/native/keccak-tree.c`, built by `npm install`): the
 * root of a complete aligned subtree of 2^height segments, hashed 8 (AVX-512), 4 (AVX2) or 1
 * leaves at a time. It computes exactly what `segmentLeaf` and `innerNode` compute; tests check
 * every implementation the CPU runs against the WASM keccak.
 */
export interface NativeTree {
  /**
   * Writes into `out` the root of the subtree over `segments` (2^height × 512 bytes, leaf indices
   * from `first`), then, when keptLevel ≤ height, the 2^(height − keptLevel) nodes of level
   * keptLevel in order. `impl` picks one of `implementations` (default: the first).
   */
  subtree(segments: Uint8Array, first: number, height: number, keptLevel: number, out: Uint8Array, impl?: string): void;
  /** What this CPU runs, fastest first: `avx512`, `avx2`, `scalar`. */
  readonly implementations: readonly string[];
}

/** Where `npm install` (node-gyp) puts the addon. */
export const NATIVE_TREE_PATH = path.join('protocol', 'native', 'build', 'Release', 'keccak_tree.node');

/**
 * Loads the native tree hasher, or `undefined` when it was not built (then trees are hashed with
 * the WASM keccak, about a third as fast). `DHOST_NATIVE_TREE=0` turns it off.
 *
 * @example
 * const native = loadNativeTree();
 * native?.implementations; // ['avx512', 'avx2', 'scalar']
 */
export function loadNativeTree(env: NodeJS.ProcessEnv = process.env): NativeTree | undefined {
  if (env.DHOST_NATIVE_TREE === '0') return undefined;
  try {
    return require(path.join(packageRoot(), NATIVE_TREE_PATH)) as NativeTree;
  } catch {
    return undefined;
  }
}
