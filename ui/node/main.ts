import { hc } from 'hono/client';
import type { DashboardApi } from '../../node/dashboard/dashboard-api';
import type { ClaimJson, DashboardJson } from '../../node/dashboard/dashboard-json';
import { chartStart, chartSummary, chartTop, usageChart } from './chart';
import { formatBytes, formatCount, formatDuration, formatTokens } from './format';

/*
 * The node operator's dashboard: asks for the node's API key (kept in sessionStorage only), then
 * reads `GET /operator/dashboard` every few seconds through Hono's typed client and shows the
 * figures exactly as the chain and the node's index have them. `Claim rewards` posts
 * `/operator/claim` and shows what was claimed.
 */

const KEY_STORAGE = 'dhost.node.apiKey';
const REFRESH_MS = 5_000;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing from the page`);
  return found as T;
};

const api = (key: string) => hc<DashboardApi>(location.origin, { headers: { authorization: `Bearer ${key}` } });

/** Refusal text of a non-2xx answer: the node's `{ error: { code, message } }`. */
async function refusal(res: Response): Promise<{ status: number; code: string; message: string }> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    return { status: res.status, code: body.error?.code ?? 'HTTP_ERROR', message: body.error?.message ?? res.statusText };
  } catch {
    return { status: res.status, code: 'HTTP_ERROR', message: res.statusText };
  }
}

/** Shows `text` in a figure and keeps the raw value in `data-value` (what tests compare with the chain). */
function figure(id: string, raw: string | number | null | undefined, text: string): void {
  const node = $(id);
  node.textContent = raw === null || raw === undefined ? '—' : text;
  node.dataset.value = raw === null || raw === undefined ? '' : String(raw);
}

const tokens = (wei: string | undefined) => (wei === undefined ? '' : `${formatTokens(wei)} tokens`);
const shortHex = (hex: string | null) => (hex ? `${hex.slice(0, 10)}…${hex.slice(-6)}` : '—');

function cell(text: string, title?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (title) td.title = title;
  return td;
}

function render(d: DashboardJson): void {
  $('node-address').textContent = d.address;
  $('node-chain').textContent = `on chain ${d.chainId}`;
  const s = d.storage;
  const meter = $<HTMLMeterElement>('used-meter');
  meter.max = Math.max(1, s.capacityBytes);
  meter.value = s.usedBytes;
  meter.textContent = `${s.usedBytes} of ${s.capacityBytes} bytes`;
  figure('used-bytes', s.usedBytes, formatBytes(s.usedBytes));
  figure('free-bytes', s.freeBytes, formatBytes(s.freeBytes));
  figure('capacity-bytes', s.capacityBytes, formatBytes(s.capacityBytes));
  figure('index-slots', s.slots, formatCount(s.slots));
  figure('index-shards', s.shards, formatCount(s.shards));
  figure('uptime', d.uptimeSeconds, formatDuration(d.uptimeSeconds));

  const c = d.chain;
  figure('proofs-submitted', c?.proofsSubmitted, formatCount(c?.proofsSubmitted ?? ''));
  figure('proofs-missed', c?.proofsMissed, formatCount(c?.proofsMissed ?? ''));
  figure('chain-slots', c?.slots, formatCount(c?.slots ?? ''));
  figure('bytes-held', c?.bytesHeld, formatBytes(c?.bytesHeld ?? '0'));
  figure('stake', c?.stake, tokens(c?.stake));
  figure('locked-stake', c?.lockedStake, tokens(c?.lockedStake));
  figure('rewards-earned', c?.rewards.earned, tokens(c?.rewards.earned));
  figure('rewards-subsidy', c?.rewards.subsidy, tokens(c?.rewards.subsidy));
  figure('rewards-claimable', c?.rewards.claimable, tokens(c?.rewards.claimable));
  figure('marker-credit', c?.markerCredit, tokens(c?.markerCredit));
  const chainError = $('chain-error');
  chainError.hidden = d.chainError === null;
  chainError.textContent = d.chainError ? `Chain figures unavailable: ${d.chainError.message}` : '';

  $('chart').replaceChildren(usageChart({ points: d.history.points, fromMs: d.history.fromMs, toMs: d.history.toMs, summaryId: 'chart-summary' }));
  $('chart-summary').textContent = chartSummary(d.history.points);
  const start = chartStart(d.history);
  $('chart-from').textContent = start > d.history.fromMs ? `first sample, ${new Date(start).toLocaleTimeString()}` : '24 h ago';
  const top = chartTop(d.history.points);
  $('chart-top').textContent =
    `Top of the scale: ${formatBytes(top)}${top < s.capacityBytes ? ' (zoomed in: usage is under a tenth of the capacity)' : ' (the capacity, dashed)'}`;
  $('history-table')
    .querySelector('tbody')
    ?.replaceChildren(
      ...d.history.points.map((p) => {
        const tr = document.createElement('tr');
        tr.append(cell(new Date(p.at).toLocaleString()), cell(formatBytes(p.usedBytes)), cell(formatBytes(p.capacityBytes)));
        return tr;
      }),
    );

  $('events-table')
    .querySelector('tbody')
    ?.replaceChildren(
      ...d.events.map((e) => {
        const tr = document.createElement('tr');
        tr.dataset.event = e.name;
        tr.append(
          cell(e.name),
          cell(shortHex(e.slotId), e.slotId ?? undefined),
          cell(e.epoch ?? '—'),
          cell(e.amount === null ? '—' : tokens(e.amount)),
          cell(formatCount(e.blockNumber)),
          cell(shortHex(e.txHash), e.txHash),
        );
        return tr;
      }),
    );
  $('events-empty').hidden = d.events.length > 0;
  $('updated').textContent = `Updated ${new Date(d.generatedAt).toLocaleTimeString()}${c ? ` (chain read ${new Date(c.readAt).toLocaleTimeString()})` : ''}.`;
}

function showKeyForm(message = ''): void {
  $('key-section').hidden = false;
  $('dashboard').hidden = true;
  $('key-error').textContent = message;
  $<HTMLInputElement>('api-key').focus();
}

let timer: ReturnType<typeof setTimeout> | undefined;

async function refresh(): Promise<void> {
  clearTimeout(timer);
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (!key) return showKeyForm();
  try {
    const res = await api(key).operator.dashboard.$get();
    if (!res.ok) {
      const r = await refusal(res);
      if (r.status === 401 || r.status === 403) {
        sessionStorage.removeItem(KEY_STORAGE);
        return showKeyForm(`The node refused the key: ${r.message} (${r.code}).`);
      }
      $('updated').textContent = `The node answered ${r.status}: ${r.message}`;
    } else {
      const opening = $('dashboard').hidden;
      $('key-section').hidden = true;
      $('dashboard').hidden = false;
      render(await res.json());
      if (opening) $('main').focus();
    }
  } catch (error) {
    $('updated').textContent = `Cannot reach the node: ${error instanceof Error ? error.message : String(error)}`;
  }
  timer = setTimeout(() => void refresh(), REFRESH_MS);
}

function claimText(result: ClaimJson): string {
  const failed = result.failed.length ? ` ${result.failed.length} slot(s) failed: ${result.failed.map((f) => f.message).join('; ')}` : '';
  if (result.claimed.length === 0) return `Nothing to claim right now.${failed}`;
  return `Claimed ${tokens(result.total)} from ${result.claimed.length} slot${result.claimed.length === 1 ? '' : 's'}.${failed}`;
}

async function claim(): Promise<void> {
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (!key) return showKeyForm();
  const button = $<HTMLButtonElement>('claim');
  const out = $('claim-result');
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  out.textContent = 'Claiming…';
  delete out.dataset.total;
  try {
    const res = await api(key).operator.claim.$post();
    if (!res.ok) {
      const r = await refusal(res);
      out.textContent = `Claim refused: ${r.message} (${r.code}).`;
    } else {
      const result = await res.json();
      out.textContent = claimText(result);
      out.dataset.total = result.total;
      out.dataset.slots = String(result.claimed.length);
      await refresh();
    }
  } catch (error) {
    out.textContent = `Claim failed: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

$<HTMLFormElement>('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('api-key');
  const key = input.value.trim();
  if (!key) return showKeyForm('Type the API key the node was started with.');
  sessionStorage.setItem(KEY_STORAGE, key);
  input.value = '';
  void refresh();
});
$('refresh').addEventListener('click', () => void refresh());
$('claim').addEventListener('click', () => void claim());
$('forget-key').addEventListener('click', () => {
  clearTimeout(timer);
  sessionStorage.removeItem(KEY_STORAGE);
  showKeyForm('The key was forgotten.');
});

void refresh();
