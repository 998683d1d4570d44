import { getStatus, PeerRequestError } from '../../client';
import { marketplaceAbi } from '../../protocol/chain/generated/abis';
import { readActivePeers } from '../../protocol/chain/peers';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import type { CommandIo } from '../main';
import { connect, resolveSettings } from '../settings';
import { formatBytes } from '../sizes';

/**
 * `dhost peers [--json]`: the active peers from the chain, each probed for live status
 * (round-trip time, used and free bytes). A peer counts as live only when its status is signed by
 * the operator registered on chain for this chain; otherwise it is shown as not live with the reason
 * (`STATUS_SIGNATURE_INVALID`: the endpoint does not speak for that operator).
 *
 * @example
 * dhost peers
 */
export async function peersCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, COMMON_OPTIONS);
  const settings = resolveSettings(values, io.env);
  const { publicClient, deployment } = await connect(settings);
  const peers = await readActivePeers({ publicClient }, { registry: deployment.contracts.PeerRegistry, signal: io.signal });
  // Reputation from the chain's storage-contribution ledger: proofs kept versus missed, tokens earned.
  const ledgers = await Promise.all(
    peers.map((p) => publicClient.readContract({ address: deployment.contracts.Marketplace, abi: marketplaceAbi, functionName: 'ledger', args: [p.operator] })),
  );
  const reputationOf = (i: number) => {
    const l = ledgers[i];
    const kept = Number(l.epochsProven);
    const missed = Number(l.proofsMissed);
    return { epochsProven: kept, proofsMissed: missed, earned: l.earned.toString(), score: kept + missed === 0 ? null : kept / (kept + missed) };
  };
  const rows = await Promise.all(
    peers.map(async (p, i) => {
      const reputation = reputationOf(i);
      try {
        const { status, rttMs } = await getStatus({}, { endpoint: p.endpoint, signal: io.signal, expectedSigner: p.operator, chainId: deployment.chainId });
        return { peer: p, reputation, live: true as const, rttMs: Math.round(rttMs), status };
      } catch (err) {
        const badSignature = err instanceof PeerRequestError && err.peerCode === 'STATUS_SIGNATURE_INVALID';
        return { peer: p, reputation, live: false as const, badSignature, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify(
        rows.map((r) => ({
          operator: r.peer.operator,
          endpoint: r.peer.endpoint,
          capacity: r.peer.capacity.toString(),
          pricePerGiBEpoch: r.peer.pricePerGiBEpoch.toString(),
          stake: r.peer.stake.toString(),
          lastHeartbeat: Number(r.peer.lastHeartbeat),
          reputation: r.reputation,
          live: r.live,
          ...(r.live
            ? { rttMs: r.rttMs, usedBytes: r.status.usedBytes, freeBytes: r.status.freeBytes, shards: r.status.shards }
            : { error: r.error, ...(r.badSignature ? { reason: 'STATUS_SIGNATURE_INVALID' } : {}) }),
        })),
      )}\n`,
    );
    return 0;
  }
  io.stdout.write(`${peers.length} active peer(s) on chain ${deployment.chainId}\n`);
  io.stdout.write(
    `${'operator'.padEnd(42)}  ${'endpoint'.padEnd(26)}  ${'capacity'.padStart(10)}  ${'free'.padStart(10)}  ${'stake'.padStart(8)}  ${'proofs kept/missed'.padStart(18)}  live\n`,
  );
  for (const r of rows) {
    const stake = (r.peer.stake / 10n ** 18n).toString();
    const live = r.live ? `ok ${r.rttMs} ms` : r.badSignature ? `NOT LIVE: status not signed by the operator (${r.error})` : `DOWN (${r.error})`;
    const free = r.live ? formatBytes(r.status.freeBytes) : '-';
    io.stdout.write(
      `${r.peer.operator}  ${r.peer.endpoint.padEnd(26)}  ${formatBytes(Number(r.peer.capacity)).padStart(10)}  ${free.padStart(10)}  ${stake.padStart(8)}  ${`${r.reputation.epochsProven}/${r.reputation.proofsMissed}`.padStart(18)}  ${live}\n`,
    );
  }
  return 0;
}
