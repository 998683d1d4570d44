import { JsonRpcServer } from 'hardhat/internal/hardhat-network/jsonrpc/server';
import type { HardhatRuntimeEnvironment } from 'hardhat/types';

export { HARDHAT_MNEMONIC, hardhatKey } from '../../cli/devnet/accounts';

/**
 * Serves the in-process Hardhat network of a test run over real HTTP JSON-RPC on an ephemeral
 * port, so that node and client code reach it the way they reach any chain (viem `http`).
 *
 * @example
 * const rpc = await startRpcServer(hre);
 * // … rpc.rpcUrl …
 * await rpc.close();
 */
export async function startRpcServer(hre: HardhatRuntimeEnvironment): Promise<{ rpcUrl: string; close: () => Promise<void> }> {
  const server = new JsonRpcServer({ hostname: '127.0.0.1', port: 0, provider: hre.network.provider });
  const { port } = await server.listen();
  return { rpcUrl: `http://127.0.0.1:${port}`, close: () => server.close() };
}
