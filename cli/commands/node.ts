import path from 'node:path';
import { startNode } from '../../node';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import type { CommandIo } from '../main';
import { connect, resolveSettings } from '../settings';
import { parseSize, parseTokenAmount } from '../sizes';

/**
 * `dhost node --port P --data DIR [--capacity SIZE] [--stake AMOUNT] [--endpoint URL] [--host H]
 * [--max-shard SIZE] [--price TOKENS]`: runs a peer node until Ctrl-C. The operator key comes from
 * `DHOST_PRIVATE_KEY`; the operator API key from `DHOST_API_KEY`. Prints one JSON line
 * `{"ready":true,…}` on stdout once the node serves and is registered.
 *
 * @example
 * DHOST_PRIVATE_KEY=0x… dhost node --port 7001 --data ./node1 --capacity 100GiB --endpoint https://node1.example.org
 */
export async function nodeCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...COMMON_OPTIONS,
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    capacity: { type: 'string' },
    stake: { type: 'string' },
    price: { type: 'string' },
    endpoint: { type: 'string' },
    'max-shard': { type: 'string' },
  });
  if (!values.port || !/^[0-9]{1,5}$/.test(values.port) || Number(values.port) > 65535) throw new UsageError('node needs --port P (0-65535)');
  if (!values.data) throw new UsageError('node needs --data DIR (where slots and the index are kept)');
  const settings = resolveSettings(values, io.env);
  if (!settings.privateKey) throw new UsageError('node needs DHOST_PRIVATE_KEY: the operator key that stakes and signs');
  const { deployment } = await connect(settings);
  const node = await startNode(
    {
      dataDir: path.resolve(values.data),
      host: values.host,
      port: Number(values.port),
      endpoint: values.endpoint,
      capacityBytes: parseSize(values.capacity ?? '10GiB'),
      maxShardBytes: values['max-shard'] ? parseSize(values['max-shard']) : undefined,
      apiKey: io.env.DHOST_API_KEY || undefined,
      privateKey: settings.privateKey,
      rpcUrl: settings.rpcUrl,
      deployment,
      stake: values.stake ? parseTokenAmount(values.stake) : undefined,
      pricePerGiBEpoch: values.price ? parseTokenAmount(values.price) : undefined,
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
