import { token } from './account';
import { announce, el, formatBytes, formatTokens } from './format';
import { type DaemonClient, failure } from './session';

const POLL_MS = 500;

/** One picked file on its way: quoted, then (once confirmed) uploaded. */
interface Pending {
  file: File;
  item: HTMLLIElement;
  status: HTMLElement;
  bar: HTMLProgressElement;
  speed: HTMLElement;
  cost: HTMLElement;
  pay: HTMLButtonElement;
  remove: HTMLButtonElement;
  state: 'quoting' | 'quoted' | 'uploading' | 'done' | 'failed';
  redundancy?: string;
  epochs: number;
}

const PHASES: Record<string, string> = {
  starting: 'placing the file on peers and opening the deal',
  upload: 'encrypting and sending',
  manifest: 'storing the manifest',
  fill: 'waiting for the peers to confirm on chain',
  done: 'stored',
  failed: 'failed',
};

/**
 * The upload area: a drop zone (also a button: Enter or Space opens the file picker) and a file
 * input for several files at once. Each file is quoted first (cost, redundancy, epochs) and paid
 * for only on confirmation; then its progress bar, phase and speed follow the daemon's upload.
 */
export function setUpUploads(api: DaemonClient, hooks: { onStored: () => void }): void {
  const zone = document.getElementById('drop-zone') as HTMLElement;
  const input = document.getElementById('file-input') as HTMLInputElement;
  const list = document.getElementById('upload-list') as HTMLUListElement;
  const all = document.getElementById('upload-all') as HTMLElement;
  const confirmAll = document.getElementById('confirm-all') as HTMLButtonElement;
  const pending: Pending[] = [];

  const refreshAll = () => {
    all.hidden = pending.filter((p) => p.state === 'quoted').length < 2;
  };

  const quote = async (p: Pending) => {
    try {
      const res = await api.api.quote.$post({ json: { size: p.file.size, name: p.file.name, redundancy: p.redundancy, epochs: p.epochs } });
      if (!res.ok) throw await failure(res);
      const q = await res.json();
      p.redundancy = q.redundancy;
      p.cost.textContent = `${formatTokens(q.escrow, token.decimals, token.symbol)} for ${q.epochs} epochs (${q.redundancy}, ${q.slots} peers)`;
      p.status.textContent = 'quoted: confirm to pay and upload';
      p.state = 'quoted';
      p.pay.disabled = false;
    } catch (err) {
      p.state = 'failed';
      p.status.textContent = `cannot quote: ${(err as Error).message}`;
    }
    refreshAll();
  };

  const run = async (p: Pending) => {
    if (p.state !== 'quoted') return;
    p.state = 'uploading';
    p.pay.disabled = true;
    p.remove.disabled = true;
    p.status.textContent = 'handing the file to the daemon';
    refreshAll();
    try {
      const res = await api.api.uploads.$post(
        { query: { name: p.file.name, size: String(p.file.size), epochs: String(p.epochs), ...(p.redundancy ? { redundancy: p.redundancy } : {}) } },
        { init: { body: p.file } },
      );
      if (!res.ok) throw await failure(res);
      let job = await res.json();
      for (;;) {
        const phase = PHASES[job.phase] ?? job.phase;
        if (job.phase === 'upload' || job.phase === 'done') {
          p.bar.max = Math.max(1, job.total);
          p.bar.value = job.phase === 'done' ? p.bar.max : job.bytes;
        }
        p.status.textContent = job.phase === 'fill' ? `${phase} (${job.bytes} of ${job.total})` : phase;
        if (job.bytesPerSecond > 0) p.speed.textContent = `${formatBytes(job.bytesPerSecond)}/s`;
        if (job.phase === 'done' || job.phase === 'failed') break;
        await new Promise((r) => setTimeout(r, POLL_MS));
        const next = await api.api.uploads[':id'].$get({ param: { id: job.id } });
        if (!next.ok) throw await failure(next);
        job = await next.json();
      }
      if (job.phase === 'failed') throw new Error(job.error?.message ?? 'the upload failed');
      p.state = 'done';
      p.bar.value = p.bar.max;
      p.pay.hidden = true;
      const seconds = (Date.now() - job.startedAt) / 1000;
      if (seconds > 0) p.speed.textContent = `${formatBytes(Math.round(p.file.size / seconds))}/s overall`;
      announce(`${p.file.name} is stored`);
      p.remove.disabled = false;
      p.remove.textContent = 'Dismiss';
      hooks.onStored();
    } catch (err) {
      p.state = 'failed';
      p.status.textContent = `failed: ${(err as Error).message}`;
      announce(`${p.file.name}: upload failed`);
      p.remove.disabled = false;
    }
  };

  const add = (files: Iterable<File>) => {
    const redundancy = (document.getElementById('redundancy') as HTMLSelectElement).value || undefined;
    const epochs = Number((document.getElementById('epochs') as HTMLInputElement).value) || 30;
    for (const file of files) {
      const status = el('span', { class: 'status' }, 'quoting…');
      const bar = el('progress', { max: '1', value: '0', 'aria-label': `Upload progress of ${file.name}` });
      const speed = el('span', { class: 'speed' });
      const cost = el('span', { class: 'cost' });
      const pay = el('button', { type: 'button', class: 'primary' }, 'Pay and upload');
      pay.disabled = true;
      const remove = el('button', { type: 'button' }, 'Remove');
      const item = el(
        'li',
        { class: 'upload' },
        el('div', { class: 'row spread' }, el('strong', { class: 'name' }, file.name), el('span', {}, formatBytes(file.size))),
        bar,
        el('div', { class: 'row spread small' }, status, speed),
        el('div', { class: 'row spread' }, cost, el('span', { class: 'row' }, pay, remove)),
      );
      const p: Pending = { file, item, status, bar, speed, cost, pay, remove, state: 'quoting', redundancy, epochs };
      pay.setAttribute('aria-label', `Pay and upload ${file.name}`);
      remove.setAttribute('aria-label', `Remove ${file.name}`);
      pay.addEventListener('click', () => void run(p));
      remove.addEventListener('click', () => {
        pending.splice(pending.indexOf(p), 1);
        item.remove();
        refreshAll();
      });
      pending.push(p);
      list.append(item);
      void quote(p);
    }
    announce('quoting the files you picked');
  };

  input.addEventListener('change', () => {
    if (input.files) add([...input.files]);
    input.value = '';
  });
  zone.addEventListener('click', () => input.click());
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer?.files.length) add([...e.dataTransfer.files]);
  });
  confirmAll.addEventListener('click', () => {
    for (const p of pending) void run(p);
  });
}
