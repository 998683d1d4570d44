import { encodeAbiParameters, type Hex, keccak256 } from 'viem';

/** Parts per million: the unit of probabilities and shares in the marketplace configuration. */
export const PPM = 1_000_000n;

/**
 * Whether a slot is challenged in an epoch and at which segment, exactly as the Marketplace
 * computes it: h = uint256(keccak256(abi.encode(seed, slotId))); challenged iff
 * h % 1e6 < probabilityPpm; segment = (h >> 128) % segmentCount.
 *
 * @example
 * const { challenged, segmentIndex } = challengeOf({ seed, slotId, probabilityPpm: 100_000, segmentCount: 4096 });
 */
export function challengeOf(params: { seed: Hex; slotId: Hex; probabilityPpm: number | bigint; segmentCount: number | bigint }): {
  challenged: boolean;
  segmentIndex: bigint;
} {
  const h = BigInt(keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'bytes32' }], [params.seed, params.slotId])));
  return { challenged: h % PPM < BigInt(params.probabilityPpm), segmentIndex: (h >> 128n) % BigInt(params.segmentCount) };
}
