/**
 * How placement ranks an eligible peer (docs/placement.md). Every factor lies in [0, 1], 1 being
 * best; the score is their weighted product, so a factor's weight is its exponent and a peer that
 * is twice as good on one factor (weight 1) is twice as likely to be drawn.
 */

/**
 * Space counts a little more than linearly. Selection ∝ free bytes would even out fill ratios, but
 * drawing k distinct peers without replacement under-serves the roomiest ones (a peer takes at most
 * one column of a file); an exponent of 1.5 makes up for it (bench:placement: coefficient of
 * variation of fill ratios 0.16 at 1, 0.11 at 1.5; at 2 the small peers starve).
 */
export const SPACE_WEIGHT = 1.5;
/** Latency counts linearly: a peer `LATENCY_HALF_MS` away is drawn half as often as a local one. */
export const LATENCY_WEIGHT = 1;
/** Price counts linearly: a deal pays every slot the highest ask among its peers (`quoteDeal`). */
export const PRICE_WEIGHT = 1;
/** Reputation counts twice: a peer that keeps data but will not serve it is worse than a far one. */
export const REPUTATION_WEIGHT = 2;
/** Uptime counts linearly; it only ever halves a score, so new peers still get work. */
export const UPTIME_WEIGHT = 1;

/** Round trip (ms) at which the latency factor is one half: `LATENCY_HALF_MS / (LATENCY_HALF_MS + rtt)`. */
export const LATENCY_HALF_MS = 100;
/** Pseudo-count of good events a peer starts with (proofs kept, reads served): one miss of a new peer costs a third, not everything. */
export const REPUTATION_PRIOR = 2;
/** Registration age (seconds) at which the age factor is 2/3: one week. */
export const AGE_HALF_SECONDS = 7 * 86_400;

/** What the score is computed from, for one peer and the set it is compared with. */
export interface ScoreInputs {
  /** Bytes the peer can take now: the smaller of the chain's view and its `/status`. */
  freeBytes: number;
  /** The largest `freeBytes` among the eligible peers. */
  maxFreeBytes: number;
  /** Round trip of the `/status` probe, milliseconds. */
  rttMs: number;
  /** The peer's ask, reward-token wei per GiB per epoch. */
  pricePerGiBEpoch: bigint;
  /** The cheapest non-zero ask among the eligible peers (0 when every ask is zero). */
  cheapestPricePerGiBEpoch: bigint;
  /** From the Marketplace ledger (0 when unknown). */
  proofsKept: number;
  proofsMissed: number;
  /** From this client's own experience (0 when unknown). */
  readSuccesses: number;
  readFailures: number;
  /** Seconds since registration, by the chain's clock. */
  ageSeconds: number;
  /** Seconds since the last heartbeat, by the chain's clock. */
  sinceHeartbeatSeconds: number;
  /** The registry's heartbeat timeout; without it freshness is not judged (factor 1). */
  heartbeatTimeoutSeconds?: number;
}

/** The five factors, each in [0, 1]. */
export interface ScoreFactors {
  space: number;
  latency: number;
  price: number;
  reputation: number;
  uptime: number;
}

/** A smoothed success ratio: `(good + REPUTATION_PRIOR) / (good + bad + REPUTATION_PRIOR)`. */
function smoothedRatio(good: number, bad: number): number {
  const g = Math.max(0, good);
  const b = Math.max(0, bad);
  return (g + REPUTATION_PRIOR) / (g + b + REPUTATION_PRIOR);
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/**
 * The five factors of a peer's placement score, each in [0, 1]:
 *
 * - `space = freeBytes / maxFreeBytes` (relative to the roomiest eligible peer);
 * - `latency = LATENCY_HALF_MS / (LATENCY_HALF_MS + rttMs)` (1 on loopback, ½ at 100 ms);
 * - `price = cheapest / ask` (relative to the cheapest non-zero eligible ask; a zero ask is 1);
 * - `reputation = proofs × reads`, each `(good + 2) / (good + bad + 2)`: proofs kept vs missed from
 *   the chain ledger, reads served vs failed from the client's own experience;
 * - `uptime = age × freshness`: `age = (a + H) / (a + 2H)` with `H = AGE_HALF_SECONDS` (½ when
 *   just registered, → 1 with time), `freshness = 1 − ½ · min(1, sinceHeartbeat / heartbeatTimeout)`
 *   (1 right after a heartbeat, ½ at the timeout; 1 when the timeout is unknown).
 *
 * @example
 * const f = scoreFactors({ freeBytes: 5e9, maxFreeBytes: 1e10, rttMs: 100, pricePerGiBEpoch: 2n, cheapestPricePerGiBEpoch: 1n,
 *   proofsKept: 0, proofsMissed: 0, readSuccesses: 0, readFailures: 0, ageSeconds: 0, sinceHeartbeatSeconds: 0 });
 * // f.space 0.5, f.latency 0.5, f.price 0.5, f.reputation 1, f.uptime 0.5
 */
export function scoreFactors(inputs: ScoreInputs): ScoreFactors {
  const space = inputs.maxFreeBytes > 0 ? clamp01(Math.max(1, inputs.freeBytes) / inputs.maxFreeBytes) : 1;
  const latency = clamp01(LATENCY_HALF_MS / (LATENCY_HALF_MS + Math.max(0, inputs.rttMs)));
  let price = 1;
  if (inputs.pricePerGiBEpoch > 0n && inputs.cheapestPricePerGiBEpoch > 0n && inputs.pricePerGiBEpoch > inputs.cheapestPricePerGiBEpoch) {
    price = Number((inputs.cheapestPricePerGiBEpoch * 1_000_000n) / inputs.pricePerGiBEpoch) / 1_000_000;
  }
  const reputation = smoothedRatio(inputs.proofsKept, inputs.proofsMissed) * smoothedRatio(inputs.readSuccesses, inputs.readFailures);
  const age = Math.max(0, inputs.ageSeconds);
  const ageFactor = (age + AGE_HALF_SECONDS) / (age + 2 * AGE_HALF_SECONDS);
  const timeout = inputs.heartbeatTimeoutSeconds;
  const freshness = timeout && timeout > 0 ? 1 - 0.5 * Math.min(1, Math.max(0, inputs.sinceHeartbeatSeconds) / timeout) : 1;
  return { space, latency, price: clamp01(price), reputation: clamp01(reputation), uptime: clamp01(ageFactor * freshness) };
}

/**
 * A peer's placement score, higher is better, in [0, 1]:
 *
 *     score = space^SPACE_WEIGHT · latency^LATENCY_WEIGHT · price^PRICE_WEIGHT
 *             · reputation^REPUTATION_WEIGHT · uptime^UPTIME_WEIGHT
 *
 * with the factors of `scoreFactors` and the weights `SPACE_WEIGHT` 1.5, `LATENCY_WEIGHT` 1,
 * `PRICE_WEIGHT` 1, `REPUTATION_WEIGHT` 2, `UPTIME_WEIGHT` 1. A weighted product, not a sum: a
 * peer with almost no room, or that fails almost every read, gets almost no work however good it
 * is otherwise, and a factor's weight reads as "halving this factor divides the score by 2^weight".
 * Placement draws peers with probability ∝ score, so work goes mostly where the room is, scaled by
 * quality.
 *
 * @example
 * const { score, factors } = placementScore({ freeBytes: 5e9, maxFreeBytes: 1e10, rttMs: 20, pricePerGiBEpoch: 1n,
 *   cheapestPricePerGiBEpoch: 1n, proofsKept: 40, proofsMissed: 0, readSuccesses: 3, readFailures: 0,
 *   ageSeconds: 86_400, sinceHeartbeatSeconds: 30, heartbeatTimeoutSeconds: 600 });
 */
export function placementScore(inputs: ScoreInputs): { score: number; factors: ScoreFactors } {
  const factors = scoreFactors(inputs);
  const score =
    factors.space ** SPACE_WEIGHT *
    factors.latency ** LATENCY_WEIGHT *
    factors.price ** PRICE_WEIGHT *
    factors.reputation ** REPUTATION_WEIGHT *
    factors.uptime ** UPTIME_WEIGHT;
  return { score, factors };
}
