import { showAccount } from './account';
import { showFiles } from './files';
import { announce } from './format';
import { showPeers } from './peers';
import { daemonClient, readSessionToken } from './session';
import { setUpUploads } from './uploads';

/** The dashboard: account, uploads, files and peers, all through the local daemon's API. */
async function start(): Promise<void> {
  const fatal = document.getElementById('fatal') as HTMLElement;
  const token = readSessionToken();
  if (!token) {
    fatal.hidden = false;
    fatal.textContent = 'Open this page from the address `dhost ui` printed (it carries the session token).';
    return;
  }
  const api = daemonClient(token);
  const report = (what: string) => (err: unknown) => {
    fatal.hidden = false;
    fatal.textContent = `Cannot ${what}: ${(err as Error).message}`;
  };
  const refreshFiles = () => {
    announce('refreshing your files');
    return showFiles(api).then(() => announce('files up to date'), report('list your files'));
  };
  setUpUploads(api, {
    onStored: () => {
      void refreshFiles();
      void showAccount(api).catch(report('read your account'));
    },
  });
  (document.getElementById('refresh-files') as HTMLButtonElement).addEventListener('click', () => void refreshFiles());
  (document.getElementById('refresh-peers') as HTMLButtonElement).addEventListener('click', () => void showPeers(api).catch(report('list the peers')));
  await showAccount(api).catch(report('read your account'));
  await Promise.all([refreshFiles(), showPeers(api).catch(report('list the peers'))]);
}

void start();
