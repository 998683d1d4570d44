import { type Chain, createPublicClient, defineChain, type PublicClient, type Transport } from 'viem';
import { ChainError } from '../errors';
import { nodeHttpTransport } from './node-http-transport';

/**
 * A viem chain description for any EVM JSON-RPC endpoint, built from its chain id.
 *
 * @example
 * const chain = chainFor({ chainId: 31337, rpcUrl: 'http://127.0.0.1:8545' });
 */
export function chainFor(params: { chainId: number; rpcUrl: string }): Chain {
  return defineChain({
    id: params.chainId,
    name: `chain-${params.chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [params.rpcUrl] } },
  });
}

/**
 * Connects to an RPC endpoint: asks its chain id (standard `eth_chainId`, so any EVM node works)
 * and returns a public client bound to that chain. Throws `ChainError('RPC_UNREACHABLE')` with the
 * URL when the endpoint does not answer.
 *
 * @example
 * const { publicClient, chain } = await connectChain({ rpcUrl: 'http://127.0.0.1:8545' });
 */
export async function connectChain(params: {
  rpcUrl: string;
  timeoutMs?: number;
}): Promise<{ publicClient: PublicClient<Transport, Chain>; chain: Chain; transport: Transport }> {
  const transport = nodeHttpTransport(params.rpcUrl, { timeoutMs: params.timeoutMs ?? 10_000, retryCount: 1 });
  const probe = createPublicClient({ transport });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (cause) {
    throw new ChainError('RPC_UNREACHABLE', `cannot reach the RPC endpoint ${params.rpcUrl}: is the chain running? (set DHOST_RPC_URL or --rpc)`, {
      details: { rpcUrl: params.rpcUrl },
      cause,
    });
  }
  const chain = chainFor({ chainId, rpcUrl: params.rpcUrl });
  return { publicClient: createPublicClient({ chain, transport }), chain, transport };
}
