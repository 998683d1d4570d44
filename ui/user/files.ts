import { token } from './account';
import type { FileRow } from './daemon-api';
import { announce, el, formatBytes, formatTokens } from './format';
import { type DaemonClient, failure } from './session';

const SHARE_EXPIRIES: [string, number][] = [
  ['1 hour', 3600],
  ['1 day', 86_400],
  ['7 days', 7 * 86_400],
  ['30 days', 30 * 86_400],
];

/** A file's health as a short text and a class: all columns intact, degraded, or lost. */
function healthOf(f: FileRow): { text: string; cls: string } {
  if (!f.health) return { text: f.healthError ? `unknown: ${f.healthError}` : '—', cls: f.healthError ? 'bad' : '' };
  const { minHealthy, columns, dataColumns } = f.health;
  const text = `${minHealthy}/${columns}`;
  if (minHealthy >= columns) return { text: `${text} healthy`, cls: 'ok' };
  if (minHealthy >= dataColumns) return { text: `${text} degraded`, cls: 'warn' };
  return { text: `${text} lost`, cls: 'bad' };
}

/** Saves the daemon's decrypted stream of a file under its name. */
async function downloadFile(api: DaemonClient, f: FileRow, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  button.textContent = 'Downloading…';
  try {
    const res = await api.api.files[':fileId'].content.$get({ param: { fileId: f.fileId } });
    if (!res.ok) throw await failure(res);
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: f.name ?? 'file' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    announce(`${f.name ?? 'the file'} downloaded`);
  } catch (err) {
    announce(`download failed: ${(err as Error).message}`);
    alert(`Download failed: ${(err as Error).message}`);
  } finally {
    button.disabled = false;
    button.textContent = 'Download';
  }
}

/** The share form of one file: an expiry, a button, and the links it made. */
function shareForm(api: DaemonClient, f: FileRow): HTMLElement {
  const id = `share-${f.fileId.slice(2, 10)}`;
  const select = el('select', { id: `${id}-expiry` }, ...SHARE_EXPIRIES.map(([label, s]) => el('option', { value: String(s) }, label)));
  select.value = String(86_400);
  const make = el('button', { type: 'button' }, 'Create link');
  make.setAttribute('aria-label', `Create a share link for ${f.name ?? f.fileId}`);
  const out = el('div', { class: 'share-out', 'aria-live': 'polite' });
  make.addEventListener('click', async () => {
    make.disabled = true;
    try {
      const res = await api.api.files[':fileId'].share.$post({ param: { fileId: f.fileId }, json: { expiresInSeconds: Number(select.value) } });
      if (!res.ok) throw await failure(res);
      const s = await res.json();
      const link = el('input', { id: `${id}-link`, type: 'text', readonly: '', value: s.webLink ?? s.link, class: 'share-link' });
      const raw = el('input', { id: `${id}-raw`, type: 'text', readonly: '', value: s.link });
      const copy = el('button', { type: 'button' }, 'Copy');
      copy.addEventListener('click', () => {
        link.select();
        void navigator.clipboard?.writeText(link.value).then(() => announce('link copied'));
      });
      out.replaceChildren(
        el('label', { for: `${id}-link` }, 'Link for a browser'),
        el('div', { class: 'row' }, link, copy),
        el('label', { for: `${id}-raw` }, 'Link for dhost download'),
        raw,
        el('p', { class: 'hint expires' }, `Expires ${new Date(s.expiresAt).toLocaleString()}`),
      );
      announce('share link created');
    } catch (err) {
      out.replaceChildren(el('p', { class: 'bad' }, `cannot share: ${(err as Error).message}`));
    } finally {
      make.disabled = false;
    }
  });
  return el(
    'details',
    { class: 'share' },
    el('summary', {}, 'Share'),
    el('div', { class: 'row' }, el('label', { for: select.id }, 'Expires in'), select, make),
    out,
  );
}

/** Extend and cancel controls for one file's deal. */
function dealForm(api: DaemonClient, f: FileRow, reload: () => void): HTMLElement {
  const id = `extend-${f.fileId.slice(2, 10)}`;
  const epochs = el('input', { id, type: 'number', min: '1', value: '30', inputmode: 'numeric', class: 'narrow' });
  const extend = el('button', { type: 'button' }, 'Extend');
  const cancel = el('button', { type: 'button', class: 'danger' }, 'Cancel deal');
  cancel.setAttribute('aria-label', `Cancel the deal of ${f.name ?? f.fileId}`);
  extend.addEventListener('click', async () => {
    extend.disabled = true;
    try {
      const res = await api.api.files[':fileId'].extend.$post({ param: { fileId: f.fileId }, json: { epochs: Number(epochs.value) } });
      if (!res.ok) throw await failure(res);
      announce(`extended to epoch ${(await res.json()).endEpoch}`);
      reload();
    } catch (err) {
      alert(`Cannot extend: ${(err as Error).message}`);
    } finally {
      extend.disabled = false;
    }
  });
  cancel.addEventListener('click', async () => {
    if (!confirm(`Cancel the deal of ${f.name ?? f.fileId}? The peers stop storing it and the unearned escrow comes back.`)) return;
    cancel.disabled = true;
    try {
      const res = await api.api.files[':fileId'].cancel.$post({ param: { fileId: f.fileId } });
      if (!res.ok) throw await failure(res);
      announce('deal cancelled');
      reload();
    } catch (err) {
      alert(`Cannot cancel: ${(err as Error).message}`);
      cancel.disabled = false;
    }
  });
  return el(
    'details',
    { class: 'deal' },
    el('summary', {}, 'Deal'),
    el('div', { class: 'row' }, el('label', { for: id }, 'More epochs'), epochs, extend),
    cancel,
  );
}

/** Fills the file list from `GET /api/files`. */
export async function showFiles(api: DaemonClient): Promise<void> {
  const res = await api.api.files.$get();
  if (!res.ok) throw await failure(res);
  const { files } = (await res.json()) as { files: FileRow[] };
  const body = document.querySelector('#files tbody') as HTMLElement;
  (document.getElementById('files-empty') as HTMLElement).hidden = files.length > 0;
  (document.getElementById('files') as HTMLElement).hidden = files.length === 0;
  const reload = () => void showFiles(api).catch((err) => announce(`cannot list files: ${(err as Error).message}`));
  body.replaceChildren(
    ...files.map((f) => {
      const health = healthOf(f);
      const live = f.deal && !f.deal.ended && !f.deal.cancelled;
      const expiry = f.deal
        ? f.deal.cancelled
          ? 'cancelled'
          : f.deal.ended
            ? 'ended'
            : `${f.deal.epochsLeft} epochs left (epoch ${f.deal.endEpoch})`
        : 'no deal';
      const expiryCell = el('td', { 'data-label': 'Expiry', class: f.warning ? 'warn' : '' }, expiry);
      if (f.warning && live) expiryCell.append(el('span', { class: 'warning', role: 'note' }, ` ⚠ ${f.warning}`));
      const download = el('button', { type: 'button' }, 'Download');
      download.setAttribute('aria-label', `Download ${f.name ?? f.fileId}`);
      download.addEventListener('click', () => void downloadFile(api, f, download));
      const actions = el('td', { 'data-label': 'Actions', class: 'actions' }, download);
      if (live) actions.append(shareForm(api, f), dealForm(api, f, reload));
      return el(
        'tr',
        { 'data-file-id': f.fileId },
        el('th', { scope: 'row', 'data-label': 'Name', class: 'name' }, f.name ?? `${f.fileId.slice(0, 12)}… (not in this keystore)`),
        el('td', { 'data-label': 'Size' }, f.size === null ? '?' : formatBytes(f.size)),
        el('td', { 'data-label': 'Redundancy' }, f.redundancy ?? '—'),
        el('td', { 'data-label': 'Health', class: `health ${health.cls}` }, health.text),
        expiryCell,
        el('td', { 'data-label': 'Cost' }, f.deal ? formatTokens(f.deal.cost, token.decimals, token.symbol) : '—'),
        actions,
      );
    }),
  );
}
