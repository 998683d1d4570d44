/**
 * The daemon API's type for the browser page (`hc<DaemonApi>`): a types-only entry, so the page
 * imports no server code (`import type` is erased by the bundler).
 */
export type { DaemonApi } from './daemon-app';
export type { FileRow } from './list-files';
