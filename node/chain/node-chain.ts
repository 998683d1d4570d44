import {
  type Chain,
  createNonceManager,
  createPublicClient,
  createWalletClient,
  type PrivateKeyAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { jsonRpc } from 'viem/nonce';
import { connectChain } from '../../protocol/chain/connect';
import type { Deployment } from '../../protocol/chain/deployment';
import { nodeHttpTransport } from '../../protocol/chain/node-http-transport';
import { ChainError } from '../../protocol/errors';

/** The node's view of the chain: a public client to read and a wallet client signing with the operator key. */
export interface NodeChain {
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, PrivateKeyAccount>;
  account: PrivateKeyAccount;
  chain: Chain;
}

/**
 * Connects to the RPC endpoint over plain HTTP JSON-RPC, checks that every contract of the
 * deployment has code there (`ChainError('DEPLOYMENT_MISSING')` otherwise), checks that it serves the deployment's
 * chain (`ChainError('CHAIN_MISMATCH')` otherwise) and builds the clients the node signs with.
 *
 * @example
 * const { publicClient, walletClient, account } = await connectNodeChain({ rpcUrl, privateKey, deployment });
 */
export async function connectNodeChain(params: {
  rpcUrl: string;
  privateKey: `0x${string}`;
  deployment: Pick<Deployment, 'chainId'> & { contracts?: Partial<Deployment['contracts']> };
}): Promise<NodeChain> {
  const { chain } = await connectChain({ rpcUrl: params.rpcUrl });
  if (chain.id !== params.deployment.chainId) {
    throw new ChainError('CHAIN_MISMATCH', `the RPC endpoint serves chain ${chain.id}, but the deployment is for chain ${params.deployment.chainId}`, {
      details: { rpcUrl: params.rpcUrl, rpcChainId: chain.id, deploymentChainId: params.deployment.chainId },
    });
  }
  const probe = createPublicClient({ chain, transport: nodeHttpTransport(params.rpcUrl, { timeoutMs: 15_000, retryCount: 1 }) });
  for (const [name, address] of Object.entries(params.deployment.contracts ?? {})) {
    if (!address) continue;
    const code = await probe.getCode({ address: address as `0x${string}` });
    if (!code || code === '0x') {
      throw new ChainError(
        'DEPLOYMENT_MISSING',
        `no ${name} contract at ${address} on chain ${chain.id}: the deployment is for another network, or the chain was reset`,
        {
          details: { rpcUrl: params.rpcUrl, contract: name, address, chainId: chain.id },
        },
      );
    }
  }
  // Heartbeats and marketplace work send from the same key concurrently: one nonce manager per node
  // hands out nonces so their transactions never collide.
  const account = privateKeyToAccount(params.privateKey, { nonceManager: createNonceManager({ source: jsonRpc() }) });
  // Our own transport (not connectChain's, which gives up after one retry): heartbeats retry themselves.
  const transport = nodeHttpTransport(params.rpcUrl, { timeoutMs: 30_000, retryCount: 2 });
  return {
    // Poll receipts every 500 ms rather than viem's 4 s: a node waits on its own transactions at start-up.
    publicClient: createPublicClient({ chain, transport, pollingInterval: 500 }),
    walletClient: createWalletClient({ chain, transport, account, pollingInterval: 500 }),
    account,
    chain,
  };
}
