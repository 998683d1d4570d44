/** How the sizes of a chaos run's files were drawn (written into the result). */
export const SIZE_DISTRIBUTION =
  'edge sizes first (0 B, 1 B, 1 MiB − 1, 1 MiB, 1 MiB + 1, 4 MiB + 1 — one stripe of RS(4,2) plus a byte —, the maximum), then log-uniform over 1 B..maximum (as many files under 1 KiB as between 1 MiB and 1 GiB would be, per decade of size); the mean is about maximum / ln(maximum)';

/**
 * The sizes of a chaos run's files, seeded: the edge sizes that catch off-by-ones (empty, one byte,
 * around the 1 MiB chunk and a 4-chunk stripe, the maximum) while there are files for them, then
 * log-uniform sizes over 1 B..`maxBytes`, so the run spans 0 B..max with many small files and a
 * few large ones (see `SIZE_DISTRIBUTION`).
 *
 * @example
 * planSizes({ random: seededRandom(1) }, { files: 200, maxBytes: 64 * 1024 * 1024 }); // [0, 1, 1048575, …]
 */
export function planSizes(deps: { random: () => number }, params: { files: number; maxBytes: number }): number[] {
  const MiB = 1024 * 1024;
  const max = params.maxBytes;
  const edges = [0, 1, MiB - 1, MiB, MiB + 1, 4 * MiB + 1, max].filter((s, i, all) => s <= max && all.indexOf(s) === i);
  const sizes = edges.slice(0, params.files);
  while (sizes.length < params.files) {
    sizes.push(max < 1 ? 0 : Math.min(max, Math.floor(Math.exp(deps.random() * Math.log(max + 1)))));
  }
  return sizes;
}
