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
export { createChainDeals, type DealSource } from './market/chain-deals';
export { marketplaceAddress } from './market/marketplace-address';
export { type NodeOptions, type RunningNode, startNode } from './start-node';
export { type NodeStatus, readNodeStatus } from './status/read-node-status';
export type { MarketSlotRow, MarketSlotState, MarketState } from './store/market-state';
export { type NodeStore, openNodeStore } from './store/open-node-store';
export type { RecoveryReport } from './store/recover';
export type { SlotIndex } from './store/slot-index';
export type { SlotStore } from './store/slot-store';
