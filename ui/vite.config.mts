import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/*
 * One Vite build per page, chosen by --mode: `user` (the local user dashboard, served by `dhost ui`
 * at /), `node` (the operator dashboard, served by every node at /dashboard/), `share` (the page
 * that opens a share link in any browser, served by every node at /share/). No CDN: everything the
 * pages need is bundled into dist/ui/<mode>.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const BASES: Record<string, string> = { user: '/', node: '/dashboard/', share: '/share/' };

export default defineConfig(({ mode }) => {
  const base = BASES[mode];
  if (!base) throw new Error(`vite --mode must be one of ${Object.keys(BASES).join(', ')}, not ${mode}`);
  return {
    root: path.join(here, mode),
    base,
    logLevel: 'warn',
    build: {
      outDir: path.join(here, '..', 'dist', 'ui', mode),
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
    },
  };
});
