/**
 * The dhost peer node: stores slots (a file's column) for uploaders, serves them back, and keeps
 * itself registered and alive on chain.
 *
 * @example
 * import { startNode } from './node';
 * const node = await startNode({ dataDir, port: 7001, capacityBytes: 10 << 30, privateKey, rpcUrl, deployment });
 */
export { createNodeApp, type NodeAppDeps } from './app';
export { ensureRegistered, type RegistrationAction } from './chain/ensure-registered';
export { type Heartbeats, startHeartbeats } from './chain/heartbeat';
export { connectNodeChain, type NodeChain } from './chain/node-chain';
export { sendHeartbeat } from './chain/send-heartbeat';
export { nodeDefaults } from './config';
export type { NodeEnv } from './env';
export * from './errors';
export { type NodeOptions, type RunningNode, startNode } from './start-node';
export { type NodeStore, openNodeStore } from './store/open-node-store';
export type { RecoveryReport } from './store/recover';
export type { SlotIndex } from './store/slot-index';
export type { SlotStore } from './store/slot-store';
