import { accessForLink, type FileHealth, parseLink, readFileHealth, readManifest, redundancyOf, shardHashesOf } from '../../client';
import { isPublicEndpoint } from '../../client/endpoint-policy';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import type { CommandIo } from '../main';
import { connect, resolveSettings } from '../settings';
import { existingAccount, publicEndpointsOnly } from '../user-context';

/**
 * `dhost status HANDLE [--json]`: a file's redundancy health, read from the chain (its deal's
 * slots and their peers) and from each holder (which shards it lists, checked against the hashes
 * in the file's manifest): per column its state, and per stripe how many intact columns it has.
 * The JSON has at least `columns` (k+m, or the replica count), `dataColumns` (k; 1 under
 * replication) and `minHealthy` (the intact columns of the weakest stripe: the file reads back
 * while it is ≥ dataColumns, and repair restores it to `columns`).
 *
 * @example
 * dhost status 'dhost://0x3f…#k3y…' --json
 */
export async function statusCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, COMMON_OPTIONS);
  if (positionals.length !== 1) throw new UsageError('status needs exactly one HANDLE argument (dhost://…#…)');
  const link = parseLink(positionals[0]);
  const { fileId, fileKey, dealId, manifestIndex, firstShard } = link.location;
  const settings = resolveSettings(values, io.env);
  const { publicClient, deployment, chainId } = await connect(settings);
  const market = deployment.contracts.Marketplace;
  const registry = deployment.contracts.PeerRegistry;
  const endpointAllowed = publicEndpointsOnly(chainId, io.env) ? isPublicEndpoint : undefined;
  const access = await accessForLink({ account: await existingAccount(settings), publicClient }, { chainId, market, link });
  const { manifest } = await readManifest(
    { publicClient, access },
    { market, registry, fileId, fileKey, dealId, manifestIndex, endpointAllowed, signal: io.signal },
  );
  const redundancy = redundancyOf(manifest);
  const erasure = redundancy.scheme === 'rs';
  const stripes = 'stripeCount' in manifest ? manifest.stripeCount : manifest.chunkCount;
  const hashes = manifest.columns.map((c) => Buffer.from(shardHashesOf(manifest, c.column)));
  const health: FileHealth = await readFileHealth(
    { publicClient },
    {
      market,
      registry,
      fileId: dealId,
      firstStripe: firstShard,
      dataColumns: erasure ? redundancy.dataShards : 1,
      stripes,
      expectedSha256: (column, stripe) => hashes[column]?.subarray(stripe * 32, stripe * 32 + 32).toString('hex') ?? '',
      endpointAllowed,
      signal: io.signal,
    },
  );
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ fileId, dealId, name: manifest.name, size: manifest.size, redundancy, ...health })}\n`);
    return 0;
  }
  const verdict =
    health.minHealthy >= health.columns ? 'healthy' : health.minHealthy >= health.dataColumns ? 'degraded (repair restores it)' : 'NOT RECOVERABLE';
  io.stdout.write(
    [
      `${manifest.name} (${manifest.size} bytes), ${erasure ? `RS(${redundancy.dataShards},${redundancy.parityShards})` : `${health.columns} replicas`}`,
      `health          ${health.minHealthy} of ${health.columns} columns intact in the weakest stripe (${health.dataColumns} needed): ${verdict}`,
      ...health.perColumn.map(
        (c) => `  column ${String(c.column).padStart(2)}  ${c.state.padEnd(11)} ${c.stripesHeld}/${health.stripes} stripes  ${c.endpoint ?? ''}`,
      ),
      '',
    ].join('\n'),
  );
  return 0;
}
