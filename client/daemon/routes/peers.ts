import { Hono } from 'hono';
import { marketplaceAbi } from '../../../protocol/chain/generated/abis';
import { readActivePeers } from '../../../protocol/chain/peers';
import { getStatus } from '../../transport/get-status';
import type { DaemonDeps } from '../daemon-deps';

/**
 * `GET /peers`: the chain's active peers, as `dhost peers` shows them: endpoint, capacity, asking
 * price, stake, reputation from the Marketplace ledger (proofs kept and missed, tokens earned,
 * score = kept / (kept + missed), null before any challenge), and a live status probe (signed by
 * the operator) with its round-trip time and free bytes, or why it failed.
 *
 * @example
 * new Hono().route('/api', peersRoute(deps));
 */
export function peersRoute(deps: DaemonDeps) {
  return new Hono().get('/peers', async (c) => {
    const signal = c.req.raw.signal;
    const peers = await readActivePeers({ publicClient: deps.publicClient }, { registry: deps.contracts.registry, signal });
    const rows = await Promise.all(
      peers.map(async (p) => {
        const ledger = await deps.publicClient.readContract({
          address: deps.contracts.market,
          abi: marketplaceAbi,
          functionName: 'ledger',
          args: [p.operator],
        });
        const kept = Number(ledger.epochsProven);
        const missed = Number(ledger.proofsMissed);
        const base = {
          operator: p.operator,
          endpoint: p.endpoint,
          capacity: p.capacity.toString(),
          pricePerGiBEpoch: p.pricePerGiBEpoch.toString(),
          stake: p.stake.toString(),
          lastHeartbeat: Number(p.lastHeartbeat),
          reputation: { proofsKept: kept, proofsMissed: missed, earned: ledger.earned.toString(), score: kept + missed === 0 ? null : kept / (kept + missed) },
        };
        try {
          const { status, rttMs } = await getStatus(
            { request: deps.request },
            { endpoint: p.endpoint, signal, expectedSigner: p.operator, chainId: deps.chainId },
          );
          return { ...base, live: true, rttMs: Math.round(rttMs), freeBytes: status.freeBytes as number | null, error: null as string | null };
        } catch (err) {
          return {
            ...base,
            live: false,
            rttMs: null as number | null,
            freeBytes: null as number | null,
            error: err instanceof Error ? err.message : String(err),
          };
        }
      }),
    );
    return c.json({ peers: rows }, 200);
  });
}
