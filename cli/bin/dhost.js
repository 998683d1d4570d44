#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1 --expose-gc
// The `dhost` command. The TypeScript sources are compiled to dist/ by `npm install` (prepare)
// and by `npm start`; run `npm run build` after changing them. The shebang starts Node with the
// memory settings of cli/runtime-tuning.ts (a small young generation, two malloc arenas).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('dhost: the build is missing; run `npm run build` in the dhost folder first\n');
  process.exit(1);
}
require(entry)
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`dhost: ${err?.message ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
