/**
 * `npm run durability`: yearly probability of losing a file under peer churn for 3× replication,
 * RS(4,2) and RS(10,6), from the CTMC in ./model.ts, cross-checked by Monte-Carlo at a high churn
 * rate. Prints markdown tables, writes bench/results/durability.json and docs/durability.svg.
 *
 * Flags (defaults in brackets): --monthly-loss [0.02] --detection-days [1] --repair-hours [6]
 * --policy any-loss|margin|none [any-loss] --margin [1] --stages [1] --fixed-stages [16] --years [1]
 * --mc-monthly-loss [0.3] --mc-detection-days [3] --mc-repair-hours [24] --mc-files [20000] --seed [1]
 * --json [bench/results/durability.json] --svg [docs/durability.svg]. See docs/durability.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../../protocol/package-root';
import {
  type ChurnParams,
  expansion,
  lossProbability,
  monteCarloLoss,
  mulberry32,
  nines,
  noRepairLoss,
  type RepairPolicy,
  reedSolomon,
  repairThreshold,
  replication,
  type Scheme,
} from './model';

/** Storj's public durability claim, used as a reference line: eleven nines at 2.76× (RS 29 of 80). */
const STORJ = { nines: 11, expansion: 2.76 };

const options = {
  'monthly-loss': { type: 'string', default: '0.02' },
  'detection-days': { type: 'string', default: '1' },
  'repair-hours': { type: 'string', default: '6' },
  policy: { type: 'string', default: 'any-loss' },
  margin: { type: 'string', default: '1' },
  stages: { type: 'string', default: '1' },
  'fixed-stages': { type: 'string', default: '16' },
  years: { type: 'string', default: '1' },
  'mc-monthly-loss': { type: 'string', default: '0.3' },
  'mc-detection-days': { type: 'string', default: '3' },
  'mc-repair-hours': { type: 'string', default: '24' },
  'mc-files': { type: 'string', default: '20000' },
  seed: { type: 'string', default: '1' },
  json: { type: 'string', default: 'bench/results/durability.json' },
  svg: { type: 'string', default: 'docs/durability.svg' },
  help: { type: 'boolean', default: false },
} as const;

interface SchemeRow {
  scheme: Scheme;
  n: number;
  expansion: number;
  lossPerYear: number;
  nines: number;
  lossPerYearMargin: number;
  lossPerYearFixedDelays: number;
  lossPerYearNoRepair: number;
}

function num(values: Record<string, unknown>, name: keyof typeof options): number {
  const raw = values[name];
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value)) throw new RangeError(`--${name}: not a number: ${String(raw)}`);
  return value;
}

function policyOf(name: string, margin: number): RepairPolicy {
  if (name === 'any-loss' || name === 'none') return { policy: name };
  if (name === 'margin') return { policy: 'margin', margin };
  throw new RangeError(`--policy must be any-loss, margin or none, got ${name}`);
}

const sci = (p: number): string => (p === 0 ? '0' : p.toExponential(2));
const fmtNines = (p: number): string => (p === 0 ? '∞' : nines(p).toFixed(1));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(3, h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Grouped bar chart of loss per year on a log10 axis (bars grow with loss), with Storj's claim as a dashed line. */
function renderSvg(params: { rows: SchemeRow[]; churnLabel: string; fixedStages: number; margin: number }): string {
  const { rows, churnLabel, fixedStages, margin } = params;
  const series = [
    { key: 'lossPerYear', label: 'default (exponential delays, repair on any loss)', color: '#2563eb' },
    { key: 'lossPerYearFixedDelays', label: `near-fixed delays (Erlang-${fixedStages})`, color: '#16a34a' },
    { key: 'lossPerYearMargin', label: `lazy repair (healthy ≤ k+${margin})`, color: '#f59e0b' },
  ] as const;
  const values = rows.flatMap((r) => series.map((s) => r[s.key])).filter((p) => p > 0);
  const bottomDecade = Math.floor(Math.log10(Math.min(1e-12, ...values))) - 1;
  const [width, height] = [720, 420];
  const title = `dhost durability: loss probability per year by scheme (${churnLabel})`;
  const plot = { left: 70, right: width - 20, top: 50, bottom: height - 110 };
  const y = (p: number): number => plot.top + ((0 - Math.log10(Math.max(p, 10 ** bottomDecade))) / -bottomDecade) * (plot.bottom - plot.top);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img" aria-label="${escapeXml(title)}">`,
  );
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">Probability of losing a file per year (log scale)</text>`);
  out.push(`<text x="${width / 2}" y="40" text-anchor="middle" fill="#555">${escapeXml(churnLabel)}</text>`);
  for (let d = 0; d >= bottomDecade; d--) {
    const yy = y(10 ** d).toFixed(1);
    out.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${yy}" y2="${yy}" stroke="#e5e7eb"/>`);
    if (d % 2 === 0 || d === bottomDecade) out.push(`<text x="${plot.left - 6}" y="${yy}" dy="4" text-anchor="end">1e${d}</text>`);
  }
  out.push(`<line x1="${plot.left}" x2="${plot.left}" y1="${plot.top}" y2="${plot.bottom}" stroke="#111"/>`);
  out.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${plot.bottom}" y2="${plot.bottom}" stroke="#111"/>`);
  const groupWidth = (plot.right - plot.left) / rows.length;
  const barWidth = Math.min(44, (groupWidth * 0.7) / series.length);
  rows.forEach((row, g) => {
    const center = plot.left + groupWidth * (g + 0.5);
    series.forEach((s, i) => {
      const p = row[s.key];
      const x = center + (i - series.length / 2) * barWidth;
      const top = y(p);
      out.push(
        `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barWidth - 4).toFixed(1)}" height="${(plot.bottom - top).toFixed(1)}" fill="${s.color}">`,
      );
      out.push(`<title>${escapeXml(`${row.scheme.name}, ${s.label}: ${sci(p)} per year (${fmtNines(p)} nines)`)}</title></rect>`);
      out.push(`<text x="${(x + (barWidth - 4) / 2).toFixed(1)}" y="${(top - 4).toFixed(1)}" text-anchor="middle" font-size="10">${fmtNines(p)}</text>`);
    });
    out.push(`<text x="${center.toFixed(1)}" y="${plot.bottom + 18}" text-anchor="middle" font-weight="bold">${escapeXml(row.scheme.name)}</text>`);
    out.push(`<text x="${center.toFixed(1)}" y="${plot.bottom + 33}" text-anchor="middle" fill="#555">n/k = ${row.expansion.toFixed(2)}</text>`);
  });
  const storjY = y(10 ** -STORJ.nines).toFixed(1);
  out.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${storjY}" y2="${storjY}" stroke="#dc2626" stroke-dasharray="6 4"/>`);
  const storjLegendY = plot.bottom + 55;
  const storjLegendX = plot.left + 380;
  out.push(`<line x1="${storjLegendX}" x2="${storjLegendX + 24}" y1="${storjLegendY - 4}" y2="${storjLegendY - 4}" stroke="#dc2626" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${storjLegendX + 30}" y="${storjLegendY}" fill="#dc2626">Storj claim: ${STORJ.nines} nines at ${STORJ.expansion}× expansion</text>`);
  series.forEach((s, i) => {
    const ly = plot.bottom + 55 + i * 16;
    out.push(`<rect x="${plot.left}" y="${ly - 10}" width="12" height="12" fill="${s.color}"/>`);
    out.push(`<text x="${plot.left + 18}" y="${ly}">${escapeXml(s.label)}</text>`);
  });
  out.push(`<text x="${plot.right}" y="${height - 8}" text-anchor="end" fill="#555" font-size="10">numbers above bars: nines = −log10(loss per year)</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function main(argv: string[]): void {
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  if (values.help) {
    console.log(fs.readFileSync(__filename, 'utf8').split('*/')[0]);
    return;
  }
  const years = num(values, 'years');
  const margin = num(values, 'margin');
  const fixedStages = num(values, 'fixed-stages');
  const churn: ChurnParams = {
    monthlyLossRate: num(values, 'monthly-loss'),
    detectionDays: num(values, 'detection-days'),
    repairHours: num(values, 'repair-hours'),
    stages: num(values, 'stages'),
    repair: policyOf(values.policy, margin),
  };
  const schemes = [replication({ replicas: 3 }), reedSolomon({ k: 4, m: 2 }), reedSolomon({ k: 10, m: 6 })];

  const rows: SchemeRow[] = schemes.map((scheme) => {
    const lossPerYear = lossProbability({ scheme, churn, years });
    return {
      scheme,
      n: scheme.k + scheme.m,
      expansion: expansion(scheme),
      lossPerYear,
      nines: nines(lossPerYear),
      lossPerYearMargin: lossProbability({ scheme, churn: { ...churn, repair: { policy: 'margin', margin } }, years }),
      lossPerYearFixedDelays: lossProbability({ scheme, churn: { ...churn, stages: fixedStages }, years }),
      lossPerYearNoRepair: noRepairLoss({ scheme, monthlyLossRate: churn.monthlyLossRate, years }),
    };
  });

  const mcChurn: ChurnParams = {
    ...churn,
    monthlyLossRate: num(values, 'mc-monthly-loss'),
    detectionDays: num(values, 'mc-detection-days'),
    repairHours: num(values, 'mc-repair-hours'),
  };
  const files = num(values, 'mc-files');
  const seed = num(values, 'seed');
  const crossCheck = schemes.map((scheme, i) => {
    const ctmc = lossProbability({ scheme, churn: mcChurn, years });
    const phases = monteCarloLoss({ random: mulberry32(seed + i) }, { scheme, churn: mcChurn, years, files, delay: 'phases' });
    const fixed = monteCarloLoss({ random: mulberry32(seed + 1000 + i) }, { scheme, churn: mcChurn, years, files, delay: 'fixed' });
    const se = Math.sqrt((ctmc * (1 - ctmc)) / files);
    return { scheme: scheme.name, ctmc, monteCarlo: phases, z: se > 0 ? (phases.estimate - ctmc) / se : 0, monteCarloFixedDelays: fixed };
  });

  const policyText =
    churn.repair.policy === 'margin' ? `repair when healthy ≤ k+${margin}` : churn.repair.policy === 'none' ? 'no repair' : 'repair on any loss';
  const churnLabel = `peer loss ${(churn.monthlyLossRate * 100).toFixed(1)}%/month, detection ${churn.detectionDays} d + rebuild ${churn.repairHours} h, ${policyText}, horizon ${years} y`;
  console.log(`# dhost durability model (${churnLabel}; Erlang-${churn.stages} phases)\n`);
  console.log(
    table(
      [
        'scheme',
        'n',
        'n/k',
        'loss / year',
        'nines',
        `nines, fixed delays (Erlang-${fixedStages})`,
        `nines, lazy repair (≤ k+${margin})`,
        'loss / year, no repair',
      ],
      rows.map((r) => [
        r.scheme.name,
        String(r.n),
        r.expansion.toFixed(2),
        sci(r.lossPerYear),
        fmtNines(r.lossPerYear),
        fmtNines(r.lossPerYearFixedDelays),
        fmtNines(r.lossPerYearMargin),
        sci(r.lossPerYearNoRepair),
      ]),
    ),
  );
  console.log(
    `\nStorj claims ${STORJ.nines} nines at ${STORJ.expansion}× expansion. Under this model: ` +
      rows.map((r) => `${r.scheme.name} ${fmtNines(r.lossPerYear)} nines at ${r.expansion.toFixed(2)}×`).join('; ') +
      '. Repair thresholds (healthy ≤): ' +
      schemes.map((s) => `${s.name} ${repairThreshold(s, churn.repair) ?? '—'}`).join(', ') +
      '.',
  );
  console.log(
    `\n## Cross-check: CTMC vs Monte-Carlo (${files} files, seed ${seed}; peer loss ${(mcChurn.monthlyLossRate * 100).toFixed(0)}%/month, detection ${mcChurn.detectionDays} d + rebuild ${mcChurn.repairHours} h)\n`,
  );
  console.log(
    table(
      ['scheme', 'CTMC loss / year', 'Monte-Carlo (same delays)', 'z', 'Monte-Carlo (fixed delays)'],
      crossCheck.map((c) => [
        c.scheme,
        c.ctmc.toFixed(4),
        `${c.monteCarlo.estimate.toFixed(4)} ± ${c.monteCarlo.standardError.toFixed(4)}`,
        c.z.toFixed(2),
        `${c.monteCarloFixedDelays.estimate.toFixed(4)} ± ${c.monteCarloFixedDelays.standardError.toFixed(4)}`,
      ]),
    ),
  );

  const root = packageRoot();
  const jsonPath = path.resolve(root, values.json);
  const svgPath = path.resolve(root, values.svg);
  const result = {
    date: new Date().toISOString(),
    model: 'CTMC over healthy columns × repair-pipeline stage, solved by uniformization; see docs/durability.md',
    params: { ...churn, years, fixedStages, margin },
    storjClaim: STORJ,
    schemes: rows.map((r) => ({
      name: r.scheme.name,
      k: r.scheme.k,
      m: r.scheme.m,
      n: r.n,
      expansion: r.expansion,
      repairThreshold: repairThreshold(r.scheme, churn.repair) ?? null,
      lossPerYear: r.lossPerYear,
      nines: r.nines,
      lossPerYearFixedDelays: r.lossPerYearFixedDelays,
      lossPerYearLazyRepair: r.lossPerYearMargin,
      lossPerYearNoRepair: r.lossPerYearNoRepair,
    })),
    crossCheck: { params: { ...mcChurn, years, files, seed }, results: crossCheck },
  };
  fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
  fs.writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  fs.mkdirSync(path.dirname(svgPath), { recursive: true });
  fs.writeFileSync(svgPath, renderSvg({ rows, churnLabel, fixedStages, margin }));
  console.log(`\nwrote ${path.relative(root, jsonPath)} and ${path.relative(root, svgPath)}`);
}

if (require.main === module) main(process.argv.slice(2));
