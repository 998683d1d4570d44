/// <reference types="node" />
/// <reference path="../../client/types/ronomon-reed-solomon.d.ts" />
/*
 * The daemon API's types for the page, from the Hono routes themselves (no copy by hand). The routes
 * are server code, so type-checking them needs Node's types: this reference brings them into the
 * ui type-check (ui/tsconfig.json has `types: []`). Only types cross: `import type` is erased, and
 * nothing of the server is bundled.
 */
export type { DaemonApi, FileRow } from '../../client/daemon/api-types';
