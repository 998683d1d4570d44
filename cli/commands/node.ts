import { privateKeyToAccount } from 'viem/accounts';
import { getStatus, peerRequest } from '../../client';
import { readNodeStatus, startNode } from '../../node';
import { peerRegistryAbi } from '../../protocol/chain/generated/abis';
import { EMPTY_SHA256, signRequest } from '../../protocol/signing';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import type { CommandIo } from '../main';
import { mergeNodeSettings, readNodeConfig } from '../node-config';
import { connect, resolveSettings } from '../settings';
import { formatBytes } from '../sizes';
import { nodeExitCommand, nodeWithdrawCommand } from './node-exit';

/**
 * `dhost node [--config FILE] --port P --data DIR [--capacity SIZE] [--stake AMOUNT] [--endpoint URL]
 * [--host H] [--max-shard SIZE] [--price TOKENS]`: runs a peer node until Ctrl-C. Flags override the
 * config file (see `readNodeConfig`); the operator key comes from `DHOST_PRIVATE_KEY` or the config's
 * `privateKeyFile`, the operator API key from `DHOST_API_KEY` or its `apiKeyFile`. Prints one JSON
 * line `{"ready":true,…}` on stdout once the node serves and is registered. `node exit` and
 * `node withdraw` leave the registry and take the stake back.
 *
 * @example
 * DHOST_PRIVATE_KEY=0x… dhost node --port 7001 --data ./node1 --capacity 100GiB --endpoint https://node1.example.org
 * dhost node --config /etc/dhost/node.json
 */
export async function nodeCommand(io: CommandIo, args: string[]): Promise<number> {
  if (args[0] === 'status') return nodeStatusCommand(io, args.slice(1));
  if (args[0] === 'details') return nodeDetailsCommand(io, args.slice(1));
  if (args[0] === 'exit') return nodeExitCommand(io, args.slice(1));
  if (args[0] === 'withdraw') return nodeWithdrawCommand(io, args.slice(1));
  const { values } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    config: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    capacity: { type: 'string' },
    stake: { type: 'string' },
    price: { type: 'string' },
    endpoint: { type: 'string' },
    'max-shard': { type: 'string' },
  });
  const merged = mergeNodeSettings(values, io.env, values.config ? readNodeConfig(values.config) : undefined);
  if (merged.port === undefined) throw new UsageError('node needs --port P (0-65535), or "port" in --config FILE');
  if (!merged.dataDir) throw new UsageError('node needs --data DIR (where slots and the index are kept), or "dataDir" in --config FILE');
  if (!merged.privateKey) {
    throw new UsageError('node needs the operator key that stakes and signs: DHOST_PRIVATE_KEY, or "privateKeyFile" in --config FILE');
  }
  const settings = resolveSettings({ rpc: merged.rpcUrl, deployment: merged.deployment, home: values.home }, io.env);
  const { deployment } = await connect(settings);
  const node = await startNode(
    {
      dataDir: merged.dataDir,
      host: merged.host,
      port: merged.port,
      endpoint: merged.endpoint,
      capacityBytes: merged.capacityBytes,
      maxShardBytes: merged.maxShardBytes,
      apiKey: merged.apiKey,
      privateKey: merged.privateKey,
      rpcUrl: settings.rpcUrl,
      deployment,
      stake: merged.stake,
      pricePerGiBEpoch: merged.pricePerGiBEpoch,
      log: (line) => io.stderr.write(`${line}\n`),
    },
    io.signal,
  );
  io.stdout.write(`${JSON.stringify({ ready: true, url: node.url, address: node.address, chainId: node.chainId })}\n`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await node.stop();
  return 0;
}

/**
 * `dhost node status [--json] [--address 0x…] [--config FILE]`: the node's standing read from the
 * chain — stake, slots, proofs submitted and missed, rewards accrued and claimed, bytes held. The
 * address is the operator key's (`DHOST_PRIVATE_KEY`, or the config file's `privateKeyFile`) unless
 * `--address` names another peer.
 *
 * @example
 * DHOST_PRIVATE_KEY=0x… dhost node status --json
 */
export async function nodeStatusCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { ...COMMON_OPTIONS, address: { type: 'string' }, config: { type: 'string' } });
  const merged = values.config ? mergeNodeSettings(values, io.env, readNodeConfig(values.config)) : undefined;
  const settings = merged
    ? { ...resolveSettings({ rpc: merged.rpcUrl, deployment: merged.deployment, home: values.home }, io.env), privateKey: merged.privateKey }
    : resolveSettings(values, io.env);
  let address: `0x${string}`;
  if (values.address) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(values.address)) throw new UsageError('--address must be 0x followed by 40 hex digits');
    address = values.address as `0x${string}`;
  } else if (settings.privateKey) {
    address = privateKeyToAccount(settings.privateKey).address;
  } else {
    throw new UsageError('node status needs DHOST_PRIVATE_KEY (the operator key) or --address');
  }
  const { publicClient, deployment } = await connect(settings);
  const status = await readNodeStatus(
    { publicClient },
    { address, market: deployment.contracts.Marketplace, registry: deployment.contracts.PeerRegistry, fromBlock: BigInt(deployment.blockNumber) },
  );
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ address, ...status })}\n`);
    return 0;
  }
  const tokens = (wei: string) => `${(Number(BigInt(wei) / 10n ** 14n) / 1e4).toFixed(4)} DHOST`;
  io.stdout.write(
    [
      `peer            ${address}`,
      `stake           ${tokens(status.stake)} (${tokens(status.lockedStake)} locked as collateral)`,
      `slots           ${status.slots} (${status.bytesHeld} bytes)`,
      `proofs          ${status.proofsSubmitted} submitted, ${status.proofsMissed} missed`,
      `rewards         ${tokens(status.rewardsClaimed)} claimed, up to ${tokens(status.rewardsAccrued)} accrued`,
      `marker credit   ${tokens(status.markerCredit)} (withdrawn by the running node)`,
      '',
    ].join('\n'),
  );
  return 0;
}

/**
 * `dhost node details [--json] [--endpoint URL]`: what the running node says about itself on
 * `GET /operator/status` — usage, data directory and disk, slots by marketplace state, nonces
 * remembered, limits, hardening. The request is signed with the operator key (`DHOST_PRIVATE_KEY`)
 * for this node and chain, so no API key is needed; the endpoint is the one the registry records for
 * that operator unless `--endpoint` names another (e.g. the node's local address).
 *
 * @example
 * DHOST_PRIVATE_KEY=0x… dhost node details --endpoint http://127.0.0.1:7001
 */
export async function nodeDetailsCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { ...COMMON_OPTIONS, endpoint: { type: 'string' } });
  const settings = resolveSettings(values, io.env);
  if (!settings.privateKey) throw new UsageError('node details needs DHOST_PRIVATE_KEY: the operator key signs the request');
  const account = privateKeyToAccount(settings.privateKey);
  const { publicClient, deployment } = await connect(settings);
  let endpoint = values.endpoint;
  if (!endpoint) {
    const peer = await publicClient.readContract({
      address: deployment.contracts.PeerRegistry,
      abi: peerRegistryAbi,
      functionName: 'peer',
      args: [account.address],
    });
    if (!peer.endpoint) throw new UsageError(`${account.address} has no endpoint in the registry: pass --endpoint URL`);
    endpoint = peer.endpoint;
  }
  // The node names its operator on /status: a key that is not it is told so here, rather than by a 401 from the node.
  const { status } = await getStatus({}, { endpoint, signal: io.signal });
  if (status.address.toLowerCase() !== account.address.toLowerCase()) {
    throw new UsageError(`the node at ${endpoint} is operated by ${status.address}, but DHOST_PRIVATE_KEY is ${account.address}`);
  }
  const path = '/operator/status';
  // A refusal (401, 403) or no answer is a PeerRequestError, printed by `main`.
  const res = await peerRequest(
    {},
    {
      endpoint,
      method: 'GET',
      path,
      // Signed afresh for every attempt: the node refuses a nonce it has seen.
      headers: () =>
        signRequest({ account }, { method: 'GET', pathAndQuery: path, contentSha256: EMPTY_SHA256, node: account.address, chainId: deployment.chainId }),
      timeoutMs: 10_000,
      maxBytes: 1 << 20,
      signal: io.signal,
    },
  );
  const details = JSON.parse(Buffer.from(res.body).toString('utf8')) as Record<string, unknown>;
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ endpoint, ...details })}\n`);
    return 0;
  }
  const n = (key: string) => (typeof details[key] === 'number' ? (details[key] as number) : 0);
  const dataDir = (details.dataDir ?? {}) as { path?: string; disk?: { freeBytes: number; totalBytes: number } | null };
  const states = details.slotsByState as Record<string, number> | null | undefined;
  io.stdout.write(
    [
      `peer            ${String(details.address)} on chain ${String(details.chainId)} (version ${String(details.version)})`,
      `endpoint        ${endpoint}`,
      `uptime          ${Math.round(n('uptimeSeconds'))} s`,
      `storage         ${formatBytes(n('usedBytes'))} used of ${formatBytes(n('capacityBytes'))} (${n('slots')} slots, ${n('shards')} shards)`,
      `data dir        ${dataDir.path ?? '?'}${dataDir.disk ? ` (disk: ${formatBytes(dataDir.disk.freeBytes)} free of ${formatBytes(dataDir.disk.totalBytes)})` : ''}`,
      `market slots    ${
        states
          ? Object.entries(states)
              .map(([state, count]) => `${count} ${state}`)
              .join(', ')
          : 'unknown'
      }`,
      `nonces          ${details.noncesRemembered ?? 'unknown'} remembered`,
      '',
    ].join('\n'),
  );
  return 0;
}
