import type { DashboardPoint } from '../../node/dashboard/dashboard-json';
import { formatBytes } from './format';

const SVG = 'http://www.w3.org/2000/svg';
const W = 1000;
const H = 200;
const PAD = { left: 0, right: 0, top: 4, bottom: 2 };

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const clock = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/**
 * A text alternative of the usage chart: the first and last samples and the capacity.
 *
 * @example
 * chartSummary(points); // 'Used 0 bytes at 10:00, 1,536 bytes (1.5 KiB) at 10:05, of …'
 */
export function chartSummary(points: DashboardPoint[]): string {
  if (points.length === 0) return 'No usage samples yet.';
  const first = points[0];
  const last = points[points.length - 1];
  const peak = points.reduce((a, b) => (b.usedBytes > a.usedBytes ? b : a));
  return (
    `${points.length} sample${points.length === 1 ? '' : 's'}: used ${formatBytes(first.usedBytes)} at ${clock(first.at)}, ` +
    `${formatBytes(last.usedBytes)} at ${clock(last.at)} (peak ${formatBytes(peak.usedBytes)}), of a capacity of ${formatBytes(last.capacityBytes)}.`
  );
}

/** The top of the chart's scale: the capacity, or a closer bound while usage is under a tenth of it (so small usage stays visible). */
export function chartTop(points: DashboardPoint[]): number {
  const capacity = Math.max(0, ...points.map((x) => x.capacityBytes));
  const peak = Math.max(0, ...points.map((x) => x.usedBytes));
  if (capacity > 0 && peak >= capacity / 10) return Math.max(capacity, peak);
  return Math.max(1, Math.ceil(peak * 1.25));
}

/**
 * Where the chart's time axis starts: the window's start, or the first sample when the node has
 * fewer than 24 h of them (a young node's chart is not a line squeezed against the right edge).
 *
 * @example
 * chartStart({ points, fromMs }); // max(fromMs, points[0].at)
 */
export function chartStart(p: { points: DashboardPoint[]; fromMs: number }): number {
  return p.points.length > 0 ? Math.max(p.fromMs, p.points[0].at) : p.fromMs;
}

/**
 * Draws used bytes over the window as an inline SVG (area under the used line, a dashed capacity
 * line when the scale reaches it), stretched to its box; labelled by its title and described by
 * `summaryId` for assistive technology. The scale and time labels are HTML beside it.
 *
 * @example
 * container.replaceChildren(usageChart({ points, fromMs, toMs, summaryId: 'chart-summary' }));
 */
export function usageChart(p: { points: DashboardPoint[]; fromMs: number; toMs: number; summaryId: string }): SVGSVGElement {
  const svg = el('svg', {
    viewBox: `0 0 ${W} ${H}`,
    preserveAspectRatio: 'none',
    role: 'img',
    'aria-labelledby': 'chart-title',
    'aria-describedby': p.summaryId,
    class: 'usage-chart',
  });
  svg.append(el('title', { id: 'chart-title' }, 'Capacity used over the last 24 hours'));
  const top = chartTop(p.points);
  const capacity = Math.max(0, ...p.points.map((x) => x.capacityBytes));
  const from = chartStart(p);
  const span = Math.max(1, p.toMs - from);
  const x = (at: number) => PAD.left + ((at - from) / span) * (W - PAD.left - PAD.right);
  const y = (bytes: number) => PAD.top + (1 - bytes / top) * (H - PAD.top - PAD.bottom);
  svg.append(el('line', { x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0), class: 'axis' }));
  if (capacity > 0 && capacity <= top) svg.append(el('line', { x1: PAD.left, x2: W - PAD.right, y1: y(capacity), y2: y(capacity), class: 'capacity' }));
  if (p.points.length > 0) {
    // Steps, not slopes: usage is known at the samples and held until the next one.
    const line = p.points.flatMap((pt, i) => {
      const at = x(pt.at).toFixed(1);
      const here = `${at},${y(pt.usedBytes).toFixed(1)}`;
      return i === 0 ? [here] : [`${at},${y(p.points[i - 1].usedBytes).toFixed(1)}`, here];
    });
    const last = p.points[p.points.length - 1];
    // Hold the latest value until now, so a single sample still draws.
    line.push(`${x(p.toMs).toFixed(1)},${y(last.usedBytes).toFixed(1)}`);
    const start = `${x(p.points[0].at).toFixed(1)},${y(0).toFixed(1)}`;
    const end = `${x(p.toMs).toFixed(1)},${y(0).toFixed(1)}`;
    svg.append(el('polygon', { points: [start, ...line, end].join(' '), class: 'used-area' }));
    svg.append(el('polyline', { points: line.join(' '), class: 'used-line' }));
  }
  return svg;
}
