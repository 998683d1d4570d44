import { parseArgs } from 'node:util';
import { InvalidInputError } from '../../protocol/errors';

const MiB = 1024 * 1024;

/** Everything a chaos run is configured by. */
export interface ChaosConfig {
  /** Peer node processes. */
  nodes: number;
  /** Files uploaded, then downloaded and compared. */
  files: number;
  /** Largest file, bytes (the smallest is 0 B). */
  maxBytes: number;
  /** Seeds sizes, fault choices and proxy draws (file contents are random). */
  seed: number;
  /** Wall-clock bound of the run after its setup (chain, deployment, nodes), seconds: faults stop by 75 % of it, then the final repair pass and check run. */
  timeLimitSeconds: number;
  /** `rs:K+M` (or `replicate:N`). */
  redundancy: string;
  /** Peers reached only through a fault-injecting proxy (the first ones). */
  proxied: number;
  chainPort: number;
  firstNodePort: number;
  firstProxyPort: number;
  /** Uploads at once (each worker is its own account, so transactions never race for a nonce). */
  uploadConcurrency: number;
  /** Mean pause between two injected faults, milliseconds. */
  faultIntervalMs: number;
  /** Nodes killed long enough for their slots to lapse and be repaired, one after another. */
  longKills: number;
  /** Registry heartbeat timeout and the market's lapse-free delay, seconds (short, so repairs happen within the run). */
  heartbeatTimeout: number;
  lapseFreeSeconds: number;
  /** Share of a proxied peer's connections delayed, reset and truncated while faults are on. */
  proxyRates: { latency: number; reset: number; truncate: number };
  /** Chain epoch, seconds: long, so that a peer killed or paused for seconds can still prove within the epoch (with short epochs every peer soon shows repeated misses and clients stop choosing any). */
  epochLength: number;
  /** Where the result JSON is written. */
  out: string;
}

/** The full run's defaults (`npm run chaos`). */
export const FULL_CHAOS: Omit<ChaosConfig, 'out'> = {
  nodes: 12,
  files: 200,
  maxBytes: 64 * MiB,
  seed: 1,
  timeLimitSeconds: 1080,
  redundancy: 'rs:4+2',
  proxied: 3,
  chainPort: 8745,
  firstNodePort: 7601,
  firstProxyPort: 7701,
  uploadConcurrency: 6,
  faultIntervalMs: 4000,
  longKills: 2,
  heartbeatTimeout: 12,
  lapseFreeSeconds: 15,
  epochLength: 600,
  proxyRates: { latency: 0.2, reset: 0.05, truncate: 0.05 },
};

const FLAGS = {
  nodes: 'CHAOS_NODES',
  files: 'CHAOS_FILES',
  'max-bytes': 'CHAOS_MAX_BYTES',
  seed: 'CHAOS_SEED',
  'time-limit': 'CHAOS_TIME_LIMIT',
  redundancy: 'CHAOS_REDUNDANCY',
  proxied: 'CHAOS_PROXIED',
  'chain-port': 'CHAOS_CHAIN_PORT',
  'node-port': 'CHAOS_NODE_PORT',
  'proxy-port': 'CHAOS_PROXY_PORT',
  concurrency: 'CHAOS_CONCURRENCY',
  'fault-interval': 'CHAOS_FAULT_INTERVAL_MS',
  'long-kills': 'CHAOS_LONG_KILLS',
  'proxy-rates': 'CHAOS_PROXY_RATES',
  'heartbeat-timeout': 'CHAOS_HEARTBEAT_TIMEOUT',
  'lapse-seconds': 'CHAOS_LAPSE_SECONDS',
  out: 'CHAOS_OUT',
} as const;

/**
 * Reads a chaos run's configuration: flags (`--nodes 12 --files 200 --max-bytes 64MiB --seed 1
 * --time-limit 1200 --redundancy rs:4+2 --proxied 3 --chain-port --node-port --proxy-port
 * --concurrency --fault-interval --long-kills --proxy-rates LATENCY,RESET,TRUNCATE --heartbeat-timeout S --lapse-seconds S --out FILE`) over environment variables (CHAOS_NODES,
 * CHAOS_FILES, CHAOS_MAX_BYTES, CHAOS_SEED, CHAOS_TIME_LIMIT, CHAOS_REDUNDANCY, CHAOS_PROXIED,
 * CHAOS_CHAIN_PORT, CHAOS_NODE_PORT, CHAOS_PROXY_PORT, CHAOS_CONCURRENCY, CHAOS_FAULT_INTERVAL_MS,
 * CHAOS_LONG_KILLS, CHAOS_PROXY_RATES, CHAOS_HEARTBEAT_TIMEOUT, CHAOS_LAPSE_SECONDS, CHAOS_OUT) over `FULL_CHAOS`. Sizes take KiB/MiB suffixes.
 *
 * @example
 * const config = readChaosConfig({ argv: ['--files', '12'], env: process.env, defaultOut: 'bench/results/chaos.json' });
 */
export function readChaosConfig(params: { argv: string[]; env: NodeJS.ProcessEnv; defaultOut: string }): ChaosConfig {
  const options = Object.fromEntries(Object.keys(FLAGS).map((k) => [k, { type: 'string' as const }]));
  const { values } = parseArgs({ args: params.argv, options, strict: true });
  const raw = (flag: keyof typeof FLAGS): string | undefined => (values[flag] as string | undefined) ?? (params.env[FLAGS[flag]] || undefined);
  const num = (flag: keyof typeof FLAGS, fallback: number, min: number): number => {
    const text = raw(flag);
    if (text === undefined) return fallback;
    const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?\s*$/i.exec(text);
    if (!m) throw new InvalidInputError(`--${flag} must be a number (sizes may end in KiB, MiB or GiB), not ${JSON.stringify(text)}`);
    const unit = { b: 1, kib: 1024, mib: MiB, gib: 1024 * MiB }[(m[2] ?? 'b').toLowerCase()] ?? 1;
    const value = Math.round(Number(m[1]) * unit);
    if (value < min) throw new InvalidInputError(`--${flag} must be at least ${min}`);
    return value;
  };
  const d = FULL_CHAOS;
  const rates = raw('proxy-rates')?.split(',').map(Number);
  if (rates && (rates.length !== 3 || rates.some((r) => !(r >= 0 && r <= 1)) || rates[0] + rates[1] + rates[2] > 1)) {
    throw new InvalidInputError('--proxy-rates must be three shares 0..1 (latency,reset,truncate) adding up to at most 1');
  }
  return {
    ...d,
    nodes: num('nodes', d.nodes, 3),
    files: num('files', d.files, 1),
    maxBytes: num('max-bytes', d.maxBytes, 0),
    seed: num('seed', d.seed, 0),
    timeLimitSeconds: num('time-limit', d.timeLimitSeconds, 30),
    redundancy: raw('redundancy') ?? d.redundancy,
    proxied: num('proxied', d.proxied, 0),
    chainPort: num('chain-port', d.chainPort, 1),
    firstNodePort: num('node-port', d.firstNodePort, 1),
    firstProxyPort: num('proxy-port', d.firstProxyPort, 1),
    uploadConcurrency: num('concurrency', d.uploadConcurrency, 1),
    faultIntervalMs: num('fault-interval', d.faultIntervalMs, 100),
    longKills: num('long-kills', d.longKills, 0),
    heartbeatTimeout: num('heartbeat-timeout', d.heartbeatTimeout, 3),
    lapseFreeSeconds: num('lapse-seconds', d.lapseFreeSeconds, 1),
    proxyRates: rates ? { latency: rates[0], reset: rates[1], truncate: rates[2] } : d.proxyRates,
    out: raw('out') ?? params.defaultOut,
  };
}
