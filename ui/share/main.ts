import { isPrivateHost } from './endpoint-policy';
import { linkFromHash, parseShareLink } from './link';
import type { PageManifest } from './manifest';
import { openShare } from './open-share';
import { ShareError } from './share-error';

/*
 * The share page (served by every node at /share/): reads the `dhost://` link from the fragment
 * (`formatWebShareLink`), or from the form, opens it with `openShare` and offers the file under its
 * name. Nothing here sends the fragment anywhere: requests carry the deal id and the token only.
 */

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const fileSection = $<HTMLElement>('file');
const statusLine = $<HTMLParagraphElement>('status');
const errorBox = $<HTMLDivElement>('error');
const progress = $<HTMLProgressElement>('progress');
const save = $<HTMLButtonElement>('save');
const form = $<HTMLFormElement>('link-form');
const input = $<HTMLTextAreaElement>('link-input');

let running: AbortController | undefined;
let objectUrl: string | undefined;
let savedName = 'shared-file';

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]} (${n.toLocaleString('en')} bytes)`;
}

function describeRedundancy(m: PageManifest): string {
  return m.redundancy.scheme === 'replicate'
    ? `${m.redundancy.replicas} encrypted copies`
    : `Reed-Solomon, ${m.redundancy.dataShards} data + ${m.redundancy.parityShards} parity pieces per stripe`;
}

function showError(code: string, message: string): void {
  $('error-code').textContent = code;
  $('error-message').textContent = message;
  errorBox.hidden = false;
  statusLine.textContent = 'The file could not be opened.';
}

function reset(): void {
  running?.abort();
  if (objectUrl) URL.revokeObjectURL(objectUrl);
  objectUrl = undefined;
  errorBox.hidden = true;
  fileSection.hidden = true;
  save.hidden = true;
  progress.value = 0;
  statusLine.textContent = '';
}

async function open(text: string): Promise<void> {
  reset();
  const controller = new AbortController();
  running = controller;
  try {
    const link = parseShareLink(text);
    $('file-name').textContent = 'Shared file';
    $('file-size').textContent = '…';
    $('file-redundancy').textContent = '…';
    $('link-expiry').textContent = new Date(Number(link.token.expiresAt) * 1000).toLocaleString();
    fileSection.hidden = false;
    statusLine.textContent = 'Asking where the file is stored…';
    const opened = await openShare(
      { fetch: (...args) => fetch(...args), origin: location.origin, allowPrivate: isPrivateHost(location.hostname) },
      {
        link,
        signal: controller.signal,
        onProgress: (p) => {
          if (controller.signal.aborted) return;
          if (p.phase === 'holders') statusLine.textContent = `Reading the file’s manifest from ${p.holders} storage peer${p.holders === 1 ? '' : 's'}…`;
          else if (p.phase === 'manifest') {
            $('file-name').textContent = p.manifest.name || 'Shared file';
            $('file-size').textContent = formatBytes(p.manifest.size);
            $('file-redundancy').textContent = describeRedundancy(p.manifest);
            statusLine.textContent = 'Downloading and decrypting…';
          } else {
            progress.value = p.totalBytes === 0 ? 1 : p.bytes / p.totalBytes;
          }
        },
      },
    );
    if (controller.signal.aborted) return;
    // Always saved as bytes, never rendered: a shared HTML file must not run with this page's origin.
    objectUrl = URL.createObjectURL(new Blob(opened.pieces, { type: 'application/octet-stream' }));
    const name = opened.manifest.name.trim() || 'shared-file';
    savedName = name;
    save.textContent = `Save “${name}”`;
    save.hidden = false;
    progress.value = 1;
    statusLine.textContent = `Ready: ${formatBytes(opened.manifest.size)} decrypted and checked.`;
    save.focus();
  } catch (err) {
    if (controller.signal.aborted) return;
    if (err instanceof ShareError) showError(err.code, err.message);
    else showError('UNEXPECTED', err instanceof Error ? err.message : String(err));
  }
}

function openFromHash(): void {
  let text: string | undefined;
  try {
    text = linkFromHash(location.hash);
  } catch (err) {
    if (err instanceof ShareError) showError(err.code, err.message);
    return;
  }
  if (text) void open(text);
  else statusLine.textContent = 'Paste a share link to open it.';
}

// A real button: it hands the Blob URL to a throwaway link carrying the file's name, which the browser saves.
save.addEventListener('click', () => {
  if (!objectUrl) return;
  const a = document.createElement('a');
  a.href = objectUrl;
  a.download = savedName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  statusLine.textContent = `Saving “${savedName}”.`;
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (text) void open(text);
});
window.addEventListener('hashchange', openFromHash);
openFromHash();
