import fs from 'node:fs';
import path from 'node:path';

/**
 * The dhost package folder (where `package.json`, `deployments/` and `artifacts/` live), found by
 * walking up from this file, so that the command works from any working directory and from dist/.
 *
 * @example
 * const root = packageRoot(); // '/home/me/dhost'
 */
export function packageRoot(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      try {
        if (JSON.parse(fs.readFileSync(file, 'utf8')).name === 'dhost') return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the dhost package folder above ${start}`);
    dir = parent;
  }
}

/**
 * Where the built pages of one dashboard are (`dist/ui/<name>`, made by `npm run build:ui`), for
 * the node (`node`, `share`) and the local daemon (`user`) to serve.
 *
 * @example
 * app.use('/dashboard/*', serveStatic({ root: uiDir('node') }));
 */
export function uiDir(name: 'user' | 'node' | 'share'): string {
  return path.join(packageRoot(), 'dist', 'ui', name);
}
