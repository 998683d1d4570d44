/**
 * Durability model for dhost files under peer churn: the probability that a file is lost within a
 * horizon (one year by default), for replication and Reed-Solomon striping.
 *
 * Model (see docs/durability.md for the discussion):
 * - A file (one stripe) has n = k + m columns, each on a distinct peer. r-fold replication is the
 *   special case k = 1, m = r − 1 (any one copy restores the file). The file is lost as soon as
 *   fewer than k columns are healthy.
 * - Peers fail independently with a constant hazard λ (exponential lifetimes). The input is the
 *   monthly loss rate p (probability that a given peer is gone within a month):
 *   λ = −ln(1 − p) / month, month = 365.25 / 12 days. A failure is permanent (the column's bytes are gone).
 * - Repair: when the number of healthy columns drops to the repair threshold or below, a repair
 *   pipeline starts: a detection phase (mean `detectionDays`: heartbeat lapse or missed proofs
 *   until the slot is freed) followed by a rebuild phase (mean `repairHours`: the repairer reads k
 *   healthy columns and places the missing ones on new peers). Each phase is Erlang-distributed
 *   with `stages` exponential stages (stages = 1: exponential, the most pessimistic; large stages:
 *   close to a fixed delay). When the pipeline completes, every missing column is restored
 *   (healthy = n) — including columns lost while it ran, which is slightly optimistic.
 *   Columns keep failing during the pipeline; reaching < k healthy before it completes loses the file.
 * - Threshold policies: `any-loss` repairs as soon as one column is missing (threshold n − 1,
 *   what the marketplace does: every freed slot is re-filled from the repair fund); `margin`
 *   repairs only when healthy ≤ k + margin (lazy repair, less repair traffic); `none` never repairs.
 * - The state space is (healthy columns h ∈ k..n) × (pipeline stage 0..P) plus one absorbing
 *   "lost" state: a continuous-time Markov chain solved at the horizon by uniformization.
 * - A Monte-Carlo event simulation (seeded mulberry32) of the same process, sampling whole phase
 *   durations instead of stage transitions, cross-checks the solver; with `delay: 'fixed'` it
 *   measures what deterministic delays would give.
 */

/** Days per month and per year used to convert rates (Julian year). */
export const DAYS_PER_YEAR = 365.25;
/** Days per month (a twelfth of a Julian year). */
export const DAYS_PER_MONTH = DAYS_PER_YEAR / 12;

/**
 * A redundancy scheme: k data columns and m parity columns (r-fold replication: k = 1, m = r − 1).
 *
 * @example
 * const rs: Scheme = { name: 'RS(10,6)', k: 10, m: 6 };
 */
export interface Scheme {
  readonly name: string;
  readonly k: number;
  readonly m: number;
}

/**
 * When repair starts. `any-loss`: as soon as one column is missing (healthy ≤ n − 1). `margin`:
 * when healthy ≤ k + margin. `none`: never (the file decays).
 *
 * @example
 * const lazy: RepairPolicy = { policy: 'margin', margin: 1 };
 */
export type RepairPolicy = { readonly policy: 'any-loss' } | { readonly policy: 'margin'; readonly margin: number } | { readonly policy: 'none' };

/**
 * Churn and repair parameters.
 *
 * @example
 * const churn: ChurnParams = { monthlyLossRate: 0.02, detectionDays: 1, repairHours: 6, stages: 1, repair: { policy: 'any-loss' } };
 */
export interface ChurnParams {
  /** Probability that a peer is permanently gone within one month (constant hazard), in [0, 1). */
  readonly monthlyLossRate: number;
  /** Mean time from a peer's death until its slot is freed and repair can start, in days. */
  readonly detectionDays: number;
  /** Mean rebuild time after detection, in hours. */
  readonly repairHours: number;
  /** Erlang stages per phase (1 = exponential phases; larger = closer to fixed delays). */
  readonly stages: number;
  /** When repair starts. */
  readonly repair: RepairPolicy;
}

/**
 * Builds a Reed-Solomon scheme RS(k, m): k data columns, m parity columns.
 *
 * @example
 * reedSolomon({ k: 4, m: 2 }); // { name: 'RS(4,2)', k: 4, m: 2 }
 */
export function reedSolomon(params: { k: number; m: number }): Scheme {
  const { k, m } = params;
  if (!Number.isInteger(k) || k < 1 || !Number.isInteger(m) || m < 0) throw new RangeError(`RS(${k},${m}): need integers k ≥ 1, m ≥ 0`);
  return { name: `RS(${k},${m})`, k, m };
}

/**
 * Builds r-fold replication, which the model treats as RS(1, r − 1): any one copy restores the file.
 *
 * @example
 * replication({ replicas: 3 }); // { name: '3× replication', k: 1, m: 2 }
 */
export function replication(params: { replicas: number }): Scheme {
  const { replicas } = params;
  if (!Number.isInteger(replicas) || replicas < 1) throw new RangeError(`replication: need an integer replicas ≥ 1, got ${replicas}`);
  return { name: `${replicas}× replication`, k: 1, m: replicas - 1 };
}

/**
 * Storage expansion factor n / k (bytes stored per byte of file).
 *
 * @example
 * expansion(reedSolomon({ k: 10, m: 6 })); // 1.6
 */
export function expansion(scheme: Scheme): number {
  return (scheme.k + scheme.m) / scheme.k;
}

/**
 * Per-peer failure hazard λ in 1/day from a monthly loss probability p: λ = −ln(1 − p) / month.
 *
 * @example
 * hazardPerDay({ monthlyLossRate: 0.02 }); // ≈ 6.637e-4
 */
export function hazardPerDay(params: { monthlyLossRate: number }): number {
  const p = params.monthlyLossRate;
  if (!(p >= 0 && p < 1)) throw new RangeError(`monthly loss rate must be in [0, 1), got ${p}`);
  return -Math.log1p(-p) / DAYS_PER_MONTH;
}

/**
 * The healthy-column count at or below which repair starts, or `undefined` when the policy never
 * repairs (or the scheme has no parity). Clamped to k..n − 1.
 *
 * @example
 * repairThreshold(reedSolomon({ k: 10, m: 6 }), { policy: 'margin', margin: 1 }); // 11
 * repairThreshold(reedSolomon({ k: 10, m: 6 }), { policy: 'any-loss' }); // 15
 */
export function repairThreshold(scheme: Scheme, repair: RepairPolicy): number | undefined {
  const n = scheme.k + scheme.m;
  if (repair.policy === 'none' || scheme.m === 0) return undefined;
  if (repair.policy === 'any-loss') return n - 1;
  if (!Number.isInteger(repair.margin) || repair.margin < 0) throw new RangeError(`repair margin must be an integer ≥ 0, got ${repair.margin}`);
  return Math.min(n - 1, scheme.k + repair.margin);
}

/**
 * Rates (1/day) of the successive stages of the repair pipeline: `stages` detection stages then
 * `stages` rebuild stages (a phase with zero mean is skipped).
 *
 * @example
 * pipelineStageRates({ detectionDays: 1, repairHours: 6, stages: 1 }); // [1, 4]
 */
export function pipelineStageRates(params: Pick<ChurnParams, 'detectionDays' | 'repairHours' | 'stages'>): number[] {
  const { detectionDays, repairHours, stages } = params;
  if (!Number.isInteger(stages) || stages < 1) throw new RangeError(`stages must be an integer ≥ 1, got ${stages}`);
  if (!(detectionDays >= 0 && repairHours >= 0) || detectionDays + repairHours === 0) {
    throw new RangeError('detection and repair times must be ≥ 0 and not both 0');
  }
  const rates: number[] = [];
  for (const meanDays of [detectionDays, repairHours / 24]) {
    if (meanDays > 0) for (let s = 0; s < stages; s++) rates.push(stages / meanDays);
  }
  return rates;
}

/**
 * A continuous-time Markov chain as a sparse generator: `transitions` hold the off-diagonal rates
 * (1/day); the diagonal is minus each state's exit rate.
 *
 * @example
 * const chain: Chain = buildChain({ scheme: reedSolomon({ k: 4, m: 2 }), churn });
 * chain.labels[chain.start]; // 'h=6'
 */
export interface Chain {
  readonly size: number;
  readonly start: number;
  readonly lost: number;
  readonly transitions: ReadonlyArray<{ readonly from: number; readonly to: number; readonly rate: number }>;
  readonly labels: readonly string[];
}

/**
 * Builds the CTMC of one file: states (healthy h, pipeline stage j) for h = k..n, j = 0..P
 * (j = 0: no repair running) plus the absorbing state "lost". From (h, j): a column fails at rate
 * h·λ (to h − 1; starts the pipeline if h − 1 ≤ threshold; to "lost" if h − 1 < k); the pipeline
 * advances at its stage rate and its last stage returns the file to (n, 0).
 *
 * @example
 * const chain = buildChain({ scheme: replication({ replicas: 3 }), churn: { monthlyLossRate: 0.02, detectionDays: 1, repairHours: 6, stages: 1, repair: { policy: 'any-loss' } } });
 * chain.transitions.length > 0; // true
 */
export function buildChain(params: { scheme: Scheme; churn: ChurnParams }): Chain {
  const { scheme, churn } = params;
  const { k, m } = reedSolomon(scheme);
  const n = k + m;
  const lambda = hazardPerDay(churn);
  const threshold = repairThreshold(scheme, churn.repair);
  const stageRates = threshold === undefined ? [] : pipelineStageRates(churn);
  const phases = stageRates.length;
  const index = (h: number, j: number): number => (h - k) * (phases + 1) + j;
  const lost = (m + 1) * (phases + 1);
  const labels: string[] = [];
  for (let h = k; h <= n; h++) for (let j = 0; j <= phases; j++) labels.push(j === 0 ? `h=${h}` : `h=${h},stage=${j}`);
  labels.push('lost');
  const transitions: { from: number; to: number; rate: number }[] = [];
  for (let h = k; h <= n; h++) {
    for (let j = 0; j <= phases; j++) {
      const from = index(h, j);
      if (lambda > 0) {
        const next = h - 1;
        const to = next < k ? lost : index(next, j === 0 && threshold !== undefined && next <= threshold ? 1 : j);
        transitions.push({ from, to, rate: h * lambda });
      }
      if (j > 0) transitions.push({ from, to: j < phases ? index(h, j + 1) : index(n, 0), rate: stageRates[j - 1] });
    }
  }
  return { size: lost + 1, start: index(n, 0), lost, transitions, labels };
}

/**
 * Probability of being in `target` at time t (days) starting from `chain.start`, by
 * uniformization: π(t) = Σ_i Poisson(i; Λt) · π(0)·Pⁱ with P = I + Q/Λ. All terms are
 * non-negative, so small probabilities keep their relative precision; the Poisson sum is cut
 * 12 standard deviations past its mean (relative truncation error < 1e-30).
 *
 * @example
 * const chain = buildChain({ scheme: reedSolomon({ k: 4, m: 2 }), churn });
 * transientProbability(chain, { days: 365.25, target: chain.lost }); // ≈ 1.7e-5 at the defaults
 */
export function transientProbability(chain: Chain, params: { days: number; target: number }): number {
  const { days, target } = params;
  if (!(days >= 0)) throw new RangeError(`time must be ≥ 0, got ${days}`);
  const exit = new Float64Array(chain.size);
  for (const t of chain.transitions) exit[t.from] += t.rate;
  const uniform = Math.max(...exit);
  let v = new Float64Array(chain.size);
  v[chain.start] = 1;
  if (uniform === 0 || days === 0) return v[target];
  const mean = uniform * days;
  const last = Math.ceil(mean + 12 * Math.sqrt(mean) + 30);
  const logMean = Math.log(mean);
  let logWeight = -mean;
  let sum = 0;
  for (let i = 0; ; i++) {
    if (i > 0) logWeight += logMean - Math.log(i);
    sum += Math.exp(logWeight) * v[target];
    if (i === last) break;
    const next = new Float64Array(chain.size);
    for (let s = 0; s < chain.size; s++) next[s] = v[s] * (1 - exit[s] / uniform);
    for (const t of chain.transitions) next[t.to] += (v[t.from] * t.rate) / uniform;
    v = next;
  }
  return sum;
}

/**
 * Probability that a file is lost within `years` under the CTMC model.
 *
 * @example
 * lossProbability({ scheme: reedSolomon({ k: 10, m: 6 }), churn, years: 1 });
 */
export function lossProbability(params: { scheme: Scheme; churn: ChurnParams; years: number }): number {
  const chain = buildChain(params);
  return transientProbability(chain, { days: params.years * DAYS_PER_YEAR, target: chain.lost });
}

/**
 * Closed form without repair: each of n columns is independently gone by time t with probability
 * q = 1 − e^{−λt}; the file is lost when more than m are gone: Σ_{f>m} C(n,f) qᶠ (1−q)^{n−f}.
 *
 * @example
 * noRepairLoss({ scheme: replication({ replicas: 3 }), monthlyLossRate: 0.02, years: 1 }); // (1 − 0.98¹²)³
 */
export function noRepairLoss(params: { scheme: Scheme; monthlyLossRate: number; years: number }): number {
  const { k, m } = params.scheme;
  const n = k + m;
  const q = -Math.expm1(-hazardPerDay(params) * params.years * DAYS_PER_YEAR);
  let sum = 0;
  let choose = 1; // C(n, f), updated as f grows
  for (let f = 0; f <= n; f++) {
    if (f > 0) choose = (choose * (n - f + 1)) / f;
    if (f > m) sum += choose * q ** f * (1 - q) ** (n - f);
  }
  return sum;
}

/**
 * A seeded 32-bit PRNG (mulberry32) returning floats in [0, 1). Each call makes an independent generator.
 *
 * @example
 * const random = mulberry32(42);
 * random(); // deterministic for seed 42
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Result of a Monte-Carlo run: `losses` of `files`, the estimate p̂ and its binomial standard error.
 *
 * @example
 * const r: MonteCarloResult = monteCarloLoss({ random: mulberry32(1) }, { scheme, churn, years: 1, files: 1000, delay: 'phases' });
 * r.losses <= r.files; // true
 */
export interface MonteCarloResult {
  readonly files: number;
  readonly losses: number;
  readonly estimate: number;
  readonly standardError: number;
}

/**
 * Event-driven simulation of `files` independent files over `years`. Failures arrive at rate h·λ;
 * when healthy ≤ threshold and no repair runs, a repair pipeline is drawn whole: `delay: 'phases'`
 * samples the same Erlang detection + rebuild phases as the CTMC (so the two must agree);
 * `delay: 'fixed'` uses exactly detectionDays + repairHours. Completion restores all n columns.
 *
 * @example
 * monteCarloLoss({ random: mulberry32(7) }, { scheme: reedSolomon({ k: 4, m: 2 }), churn, years: 1, files: 10_000, delay: 'phases' });
 */
export function monteCarloLoss(
  deps: { random: () => number },
  params: { scheme: Scheme; churn: ChurnParams; years: number; files: number; delay: 'phases' | 'fixed' },
): MonteCarloResult {
  const { random } = deps;
  const { scheme, churn, years, files, delay } = params;
  const { k, m } = reedSolomon(scheme);
  const n = k + m;
  const lambda = hazardPerDay(churn);
  const threshold = repairThreshold(scheme, churn.repair);
  const stageRates = threshold === undefined ? [] : pipelineStageRates(churn);
  const fixedDays = churn.detectionDays + churn.repairHours / 24;
  const horizon = years * DAYS_PER_YEAR;
  const exponential = (rate: number): number => -Math.log(1 - random()) / rate;
  const pipelineDays = (): number => (delay === 'fixed' ? fixedDays : stageRates.reduce((sum, rate) => sum + exponential(rate), 0));
  let losses = 0;
  for (let file = 0; file < files; file++) {
    let now = 0;
    let healthy = n;
    let repairDone = Number.POSITIVE_INFINITY;
    for (;;) {
      const failure = lambda > 0 ? now + exponential(healthy * lambda) : Number.POSITIVE_INFINITY;
      if (repairDone <= failure) {
        if (repairDone > horizon) break;
        now = repairDone;
        healthy = n;
        repairDone = Number.POSITIVE_INFINITY;
        continue;
      }
      if (failure > horizon) break;
      now = failure;
      healthy -= 1;
      if (healthy < k) {
        losses += 1;
        break;
      }
      if (threshold !== undefined && healthy <= threshold && repairDone === Number.POSITIVE_INFINITY) repairDone = now + pipelineDays();
    }
  }
  const estimate = losses / files;
  return { files, losses, estimate, standardError: Math.sqrt((estimate * (1 - estimate)) / files) };
}

/**
 * "Nines" of durability: −log10 of the loss probability (Infinity when it is 0).
 *
 * @example
 * nines(1e-11); // 11
 */
export function nines(lossProbability: number): number {
  return -Math.log10(lossProbability);
}
