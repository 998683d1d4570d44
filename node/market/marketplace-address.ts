import { type Address, getAddress, isAddress } from 'viem';
import type { Deployment } from '../../protocol/chain/deployment';
import { ChainError } from '../../protocol/errors';

/**
 * The Marketplace's address from a deployment; `ChainError('DEPLOYMENT_MALFORMED')` when the
 * deployment has none (it was made before the marketplace existed: deploy again).
 *
 * @example
 * const market = marketplaceAddress(deployment);
 */
export function marketplaceAddress(deployment: Pick<Deployment, 'contracts' | 'chainId'>): Address {
  const market = (deployment.contracts as Record<string, string | undefined>).Marketplace;
  if (market === undefined || !isAddress(market, { strict: false })) {
    throw new ChainError('DEPLOYMENT_MALFORMED', `the deployment for chain ${deployment.chainId} has no Marketplace: deploy the contracts again`, {
      details: { chainId: deployment.chainId, contracts: Object.keys(deployment.contracts) },
    });
  }
  return getAddress(market);
}
