import type { RequestCounts } from './request-counts';

/** What `/operator/metrics` exposes. */
export interface NodeMetrics {
  usedBytes: number;
  capacityBytes: number;
  slots: number;
  shards: number;
  uptimeSeconds: number;
  /** Nonces of signed requests remembered now (omitted when unknown). */
  noncesRemembered?: number;
  /** Slots of committed deals by marketplace state (omitted when unknown). */
  slotsByState?: Record<string, number>;
  /** Answers by route, method and status (omitted when not counted). */
  requests?: ReturnType<RequestCounts['snapshot']>;
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * Renders the metrics in the Prometheus text exposition format 0.0.4 (`# HELP`, `# TYPE`, then
 * `name{labels} value` lines, ending with a newline). Serve it as
 * `text/plain; version=0.0.4; charset=utf-8`.
 *
 * @example
 * metricsText({ usedBytes: 10, capacityBytes: 100, slots: 1, shards: 2, uptimeSeconds: 5 });
 * // '# HELP dhost_used_bytes …\n# TYPE dhost_used_bytes gauge\ndhost_used_bytes 10\n…'
 */
export function metricsText(m: NodeMetrics): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: [Record<string, string>, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const names = Object.keys(labels);
      const rendered = names.length ? `{${names.map((n) => `${n}="${escapeLabel(labels[n])}"`).join(',')}}` : '';
      lines.push(`${name}${rendered} ${value}`);
    }
  };
  metric('dhost_used_bytes', 'gauge', 'Bytes of shards stored.', [[{}, m.usedBytes]]);
  metric('dhost_capacity_bytes', 'gauge', 'Bytes the node offers.', [[{}, m.capacityBytes]]);
  metric('dhost_slots', 'gauge', 'Slots with at least one stored shard.', [[{}, m.slots]]);
  metric('dhost_shards', 'gauge', 'Shards stored.', [[{}, m.shards]]);
  metric('dhost_uptime_seconds', 'gauge', 'Seconds since the node started.', [[{}, m.uptimeSeconds]]);
  if (m.noncesRemembered !== undefined) {
    metric('dhost_nonces_remembered', 'gauge', 'Nonces of signed requests remembered against replay.', [[{}, m.noncesRemembered]]);
  }
  if (m.slotsByState) {
    metric(
      'dhost_market_slots',
      'gauge',
      'Slots of committed deals by marketplace state.',
      Object.entries(m.slotsByState).map(([state, n]) => [{ state }, n]),
    );
  }
  if (m.requests) {
    metric(
      'dhost_http_requests_total',
      'counter',
      'HTTP answers by route template, method and status since the node started.',
      m.requests.map((r) => [{ route: r.route, method: r.method, status: String(r.status) }, r.count]),
    );
  }
  return `${lines.join('\n')}\n`;
}
