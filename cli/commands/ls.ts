import { privateKeyToAccount } from 'viem/accounts';
import { deriveFileKey, formatHandle, handleOfUpload, listDeals, masterFromPrivateKey, type OwnedDeal, openKeystore } from '../../client';
import { parseFileId } from '../../protocol/ids';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import type { CommandIo } from '../main';
import { connect, resolveSettings } from '../settings';
import { formatBytes } from '../sizes';

/**
 * `dhost ls [--json]`: your files — the deals your account owns on chain, joined with the names the
 * local keystore remembers — with their handles (derived again from your key, never stored), expiry
 * in epochs and a warning for deals that end soon. A file whose deal is on chain but that this
 * keystore never saw (a new laptop) is listed too, without its name. When the chain cannot be
 * reached, the keystore alone is listed, with a warning.
 *
 * @example
 * dhost ls --json
 */
export async function lsCommand(io: CommandIo, args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, COMMON_OPTIONS);
  const settings = resolveSettings(values, io.env);
  const keystore = openKeystore({ home: settings.home });
  const privateKey = settings.privateKey ?? (await keystore.loadOrCreateAccountKey());
  const master = masterFromPrivateKey(privateKey);
  const owner = privateKeyToAccount(privateKey).address;
  const handleOf = (id: string) => {
    const fileId = parseFileId(id);
    return formatHandle({ fileId, fileKey: deriveFileKey({ master, fileId }) });
  };
  const local = await keystore.listUploads();
  let deals: OwnedDeal[] = [];
  let chainNote: string | undefined;
  try {
    const { publicClient, deployment } = await connect(settings);
    deals = await listDeals({ publicClient, market: deployment.contracts.Marketplace }, { owner, signal: io.signal });
  } catch (err) {
    chainNote = `chain not reachable, showing the local keystore only: ${err instanceof Error ? err.message : String(err)}`;
  }
  const byId = new Map(deals.map((d) => [d.dealId.toLowerCase(), d]));
  // A file of a batch lives in its batch's deal (shared with the other files of the batch).
  const seen = new Set<string>();
  const rows = local.map((u) => {
    const dealKey = (u.batch?.dealId ?? u.fileId).toLowerCase();
    seen.add(dealKey);
    return {
      fileId: u.fileId,
      name: u.name as string | undefined,
      size: u.size as number | undefined,
      uploadedAt: u.uploadedAt as string | undefined,
      handle: handleOfUpload({ master, entry: u }),
      deal: byId.get(dealKey),
    };
  });
  for (const d of byId.values()) {
    if (seen.has(d.dealId.toLowerCase())) continue;
    rows.push({ fileId: d.dealId, name: undefined, size: undefined, uploadedAt: undefined, handle: handleOf(d.dealId), deal: d });
  }
  const listed = rows.map((r) => ({
    fileId: r.fileId,
    name: r.name ?? null,
    size: r.size ?? null,
    uploadedAt: r.uploadedAt ?? null,
    handle: r.handle,
    deal: r.deal
      ? {
          endEpoch: r.deal.endEpoch.toString(),
          epochsLeft: r.deal.epochsLeft.toString(),
          ended: r.deal.ended,
          endsSoon: r.deal.endsSoon,
          cancelled: r.deal.cancelled,
        }
      : null,
  }));
  if (chainNote) io.stderr.write(`dhost: ${chainNote}\n`);
  if (values.json) {
    io.stdout.write(`${JSON.stringify(listed)}\n`);
    return 0;
  }
  if (listed.length === 0) {
    io.stdout.write('no files yet: dhost upload FILE\n');
    return 0;
  }
  for (const r of listed) {
    const expiry = r.deal ? (r.deal.ended ? 'ENDED' : `${r.deal.epochsLeft} epochs left${r.deal.endsSoon ? ' — ENDS SOON: extend it' : ''}`) : 'no deal';
    io.stdout.write(
      `${r.uploadedAt ?? '(from chain)'}  ${(r.size === null ? '?' : formatBytes(r.size)).padStart(10)}  ${r.name ?? r.fileId}  [${expiry}]\n    ${r.handle}\n`,
    );
  }
  return 0;
}
