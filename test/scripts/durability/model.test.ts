import { expect } from 'chai';
import fc from 'fast-check';
import {
  buildChain,
  type ChurnParams,
  DAYS_PER_YEAR,
  expansion,
  hazardPerDay,
  lossProbability,
  monteCarloLoss,
  mulberry32,
  nines,
  noRepairLoss,
  reedSolomon,
  repairThreshold,
  replication,
  transientProbability,
} from '../../../scripts/durability/model';

const defaults: ChurnParams = { monthlyLossRate: 0.02, detectionDays: 1, repairHours: 6, stages: 1, repair: { policy: 'any-loss' } };

describe('scripts/durability/model', () => {
  describe('schemes', () => {
    it('gives the expansion factors n/k of 3× replication, RS(4,2) and RS(10,6)', () => {
      expect(expansion(replication({ replicas: 3 }))).to.equal(3);
      expect(expansion(reedSolomon({ k: 4, m: 2 }))).to.equal(1.5);
      expect(expansion(reedSolomon({ k: 10, m: 6 }))).to.equal(1.6);
    });

    it('converts a monthly loss probability into a constant hazard that reproduces it over a month', () => {
      const lambda = hazardPerDay({ monthlyLossRate: 0.02 });
      expect(1 - Math.exp(-lambda * (DAYS_PER_YEAR / 12))).to.be.closeTo(0.02, 1e-15);
    });

    it('starts repair at n − 1 healthy on any loss, at k + margin for lazy repair, never without repair', () => {
      const rs = reedSolomon({ k: 10, m: 6 });
      expect(repairThreshold(rs, { policy: 'any-loss' })).to.equal(15);
      expect(repairThreshold(rs, { policy: 'margin', margin: 1 })).to.equal(11);
      expect(repairThreshold(rs, { policy: 'margin', margin: 9 })).to.equal(15);
      expect(repairThreshold(rs, { policy: 'none' })).to.equal(undefined);
    });

    it('refuses impossible parameters', () => {
      expect(() => reedSolomon({ k: 0, m: 2 })).to.throw(RangeError);
      expect(() => replication({ replicas: 1.5 })).to.throw(RangeError);
      expect(() => hazardPerDay({ monthlyLossRate: 1 })).to.throw(RangeError);
      expect(() => lossProbability({ scheme: reedSolomon({ k: 4, m: 2 }), churn: { ...defaults, stages: 0 }, years: 1 })).to.throw(RangeError);
      expect(() => lossProbability({ scheme: reedSolomon({ k: 4, m: 2 }), churn: { ...defaults, detectionDays: 0, repairHours: 0 }, years: 1 })).to.throw(
        RangeError,
      );
    });
  });

  describe('the CTMC', () => {
    it('conserves probability: the transient distribution over all states sums to 1', () => {
      const chain = buildChain({ scheme: reedSolomon({ k: 4, m: 2 }), churn: { ...defaults, monthlyLossRate: 0.3, stages: 2 } });
      const total = Array.from({ length: chain.size }, (_, target) => transientProbability(chain, { days: 200, target })).reduce((a, b) => a + b, 0);
      expect(total).to.be.closeTo(1, 1e-12);
    });

    describe('when nothing is ever repaired', () => {
      it('equals the binomial probability that more than m of n independent columns fail within the year', () => {
        for (const scheme of [replication({ replicas: 3 }), reedSolomon({ k: 4, m: 2 }), reedSolomon({ k: 10, m: 6 }), reedSolomon({ k: 3, m: 0 })]) {
          for (const monthlyLossRate of [0.02, 0.3]) {
            const ctmc = lossProbability({ scheme, churn: { ...defaults, monthlyLossRate, repair: { policy: 'none' } }, years: 1 });
            const closed = noRepairLoss({ scheme, monthlyLossRate, years: 1 });
            expect(ctmc, `${scheme.name} at ${monthlyLossRate}`).to.be.closeTo(closed, closed * 1e-9);
          }
        }
      });

      it('loses a 3× replicated file with probability (1 − e^{−λt})³', () => {
        const q = 1 - Math.exp(-hazardPerDay({ monthlyLossRate: 0.02 }) * DAYS_PER_YEAR);
        const ctmc = lossProbability({ scheme: replication({ replicas: 3 }), churn: { ...defaults, repair: { policy: 'none' } }, years: 1 });
        expect(ctmc).to.be.closeTo(q ** 3, q ** 3 * 1e-9);
      });
    });

    describe('with one exponential repair phase', () => {
      it('matches the closed-form survival of the two-column birth–death chain (2 →2λ→ 1 →λ→ lost, 1 →μ→ 2)', () => {
        const churn: ChurnParams = { ...defaults, monthlyLossRate: 0.3, detectionDays: 5, repairHours: 0 };
        const lambda = hazardPerDay(churn);
        const mu = 1 / churn.detectionDays;
        // Transient generator [[−2λ, 2λ], [μ, −(λ+μ)]]: eigenvalues r solve r² + (3λ+μ) r + 2λ² = 0.
        const b = 3 * lambda + mu;
        const root = Math.sqrt(b * b - 8 * lambda * lambda);
        const [r1, r2] = [(-b + root) / 2, (-b - root) / 2];
        for (const days of [10, 100, DAYS_PER_YEAR]) {
          const survival = (r1 * Math.exp(r2 * days) - r2 * Math.exp(r1 * days)) / (r1 - r2);
          const ctmc = lossProbability({ scheme: reedSolomon({ k: 1, m: 1 }), churn, years: days / DAYS_PER_YEAR });
          expect(ctmc).to.be.closeTo(1 - survival, (1 - survival) * 1e-9);
        }
      });
    });

    it('treats 3× replication exactly as RS(1,2)', () => {
      for (const repair of [{ policy: 'any-loss' } as const, { policy: 'margin', margin: 1 } as const]) {
        const churn = { ...defaults, repair };
        expect(lossProbability({ scheme: replication({ replicas: 3 }), churn, years: 1 })).to.equal(
          lossProbability({ scheme: reedSolomon({ k: 1, m: 2 }), churn, years: 1 }),
        );
      }
    });

    it('loses less with more parity, for any k and m', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 4 }), (k, m) => {
          const less = lossProbability({ scheme: reedSolomon({ k, m: m + 1 }), churn: defaults, years: 1 });
          const more = lossProbability({ scheme: reedSolomon({ k, m }), churn: defaults, years: 1 });
          expect(less).to.be.lessThan(more);
        }),
        { numRuns: 25 },
      );
    });

    it('loses less with faster detection and faster repair', () => {
      const scheme = reedSolomon({ k: 10, m: 6 });
      const byRepair = [48, 24, 6, 1].map((repairHours) => lossProbability({ scheme, churn: { ...defaults, repairHours }, years: 1 }));
      const byDetection = [7, 3, 1, 0.25].map((detectionDays) => lossProbability({ scheme, churn: { ...defaults, detectionDays }, years: 1 }));
      for (const series of [byRepair, byDetection]) for (let i = 1; i < series.length; i++) expect(series[i]).to.be.lessThan(series[i - 1]);
    });

    it('loses less when repair starts on any loss than when it waits for k + 1 healthy, and less than without repair', () => {
      const scheme = reedSolomon({ k: 10, m: 6 });
      const eager = lossProbability({ scheme, churn: defaults, years: 1 });
      const lazy = lossProbability({ scheme, churn: { ...defaults, repair: { policy: 'margin', margin: 1 } }, years: 1 });
      const none = lossProbability({ scheme, churn: { ...defaults, repair: { policy: 'none' } }, years: 1 });
      expect(eager).to.be.lessThan(lazy);
      expect(lazy).to.be.lessThan(none);
    });

    it('loses less when the same mean delay is less variable (more Erlang stages)', () => {
      const scheme = reedSolomon({ k: 4, m: 2 });
      const [one, four] = [1, 4].map((stages) => lossProbability({ scheme, churn: { ...defaults, stages }, years: 1 }));
      expect(four).to.be.lessThan(one);
    });

    it('grows with the horizon', () => {
      const scheme = reedSolomon({ k: 4, m: 2 });
      const [half, one, two] = [0.5, 1, 2].map((years) => lossProbability({ scheme, churn: defaults, years }));
      expect(half).to.be.lessThan(one);
      expect(one).to.be.lessThan(two);
    });
  });

  describe('the Monte-Carlo simulation', () => {
    const highChurn: ChurnParams = { monthlyLossRate: 0.3, detectionDays: 3, repairHours: 24, stages: 1, repair: { policy: 'any-loss' } };
    const files = 20_000;

    for (const scheme of [replication({ replicas: 3 }), reedSolomon({ k: 4, m: 2 }), reedSolomon({ k: 10, m: 6 })]) {
      it(`agrees with the CTMC for ${scheme.name} at high churn within 4 binomial standard errors`, () => {
        const ctmc = lossProbability({ scheme, churn: highChurn, years: 1 });
        const mc = monteCarloLoss({ random: mulberry32(2024) }, { scheme, churn: highChurn, years: 1, files, delay: 'phases' });
        const standardError = Math.sqrt((ctmc * (1 - ctmc)) / files);
        expect(ctmc).to.be.greaterThan(0.01); // measurable: at least 200 expected losses
        expect(Math.abs(mc.estimate - ctmc)).to.be.lessThan(4 * standardError);
      });
    }

    it('agrees with the no-repair binomial closed form', () => {
      const scheme = reedSolomon({ k: 4, m: 2 });
      const closed = noRepairLoss({ scheme, monthlyLossRate: 0.05, years: 1 });
      const mc = monteCarloLoss(
        { random: mulberry32(7) },
        { scheme, churn: { ...highChurn, monthlyLossRate: 0.05, repair: { policy: 'none' } }, years: 1, files, delay: 'phases' },
      );
      expect(Math.abs(mc.estimate - closed)).to.be.lessThan(4 * Math.sqrt((closed * (1 - closed)) / files));
    });

    it('is reproducible from its seed', () => {
      const run = () =>
        monteCarloLoss({ random: mulberry32(99) }, { scheme: reedSolomon({ k: 4, m: 2 }), churn: highChurn, years: 1, files: 2000, delay: 'fixed' });
      expect(run()).to.deep.equal(run());
    });
  });

  it('counts nines as −log10 of the loss probability', () => {
    expect(nines(1e-11)).to.be.closeTo(11, 1e-12);
    expect(nines(0)).to.equal(Number.POSITIVE_INFINITY);
  });
});
