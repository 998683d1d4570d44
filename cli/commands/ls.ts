import { deriveFileKey, formatHandle, masterFromPrivateKey, openKeystore } from '../../client';
import { parseFileId } from '../../protocol/ids';
import { COMMON_OPTIONS, parseCommandArgs } from '../args';
import type { CommandIo } from '../main';
import { resolveSettings } from '../settings';
import { formatBytes } from '../sizes';

/**
 * `dhost ls [--json]`: your uploads (from the keystore in DHOST_HOME) with their handles, which are
 * derived again from your key rather than stored.
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
  const uploads = (await keystore.listUploads()).map((u) => {
    const fileId = parseFileId(u.fileId);
    return { ...u, handle: formatHandle({ fileId, fileKey: deriveFileKey({ master, fileId }) }) };
  });
  if (values.json) {
    io.stdout.write(`${JSON.stringify(uploads)}\n`);
    return 0;
  }
  if (uploads.length === 0) {
    io.stdout.write('no uploads yet: dhost upload FILE\n');
    return 0;
  }
  for (const u of uploads) {
    io.stdout.write(`${u.uploadedAt}  ${formatBytes(u.size).padStart(10)}  ${u.name}\n    ${u.handle}\n`);
  }
  return 0;
}
