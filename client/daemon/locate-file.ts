import { isAddressEqual } from 'viem';
import { readDeal } from '../../protocol/chain/market';
import { type FileId, parseFileId } from '../../protocol/ids';
import { formatHandle, handleOfUpload } from '../handle';
import { deriveFileKey } from '../keys';
import type { UploadEntry } from '../keystore';
import type { DaemonDeps } from './daemon-deps';
import { DaemonError } from './daemon-error';

/** A file of the user: its ids, its handle (made again from the master) and what the keystore knows. */
export interface LocatedFile {
  fileId: FileId;
  /** The deal holding it: the file id, or its batch's deal id. */
  dealId: FileId;
  handle: string;
  entry?: UploadEntry;
}

/**
 * Finds one of the user's files by its id: in the keystore (a file alone or in a batch), else as a
 * deal the account owns on chain (a keystore lost with the laptop). Otherwise 404 `FILE_NOT_FOUND`.
 *
 * @example
 * const { handle, dealId } = await locateFile(deps, { fileId: '0x3f…' });
 */
export async function locateFile(
  deps: Pick<DaemonDeps, 'keystore' | 'master' | 'publicClient' | 'contracts' | 'account'>,
  p: { fileId: string },
): Promise<LocatedFile> {
  const fileId = parseFileId(p.fileId.toLowerCase());
  const entry = (await deps.keystore.listUploads()).findLast((u) => u.fileId.toLowerCase() === fileId);
  if (entry) {
    const dealId = parseFileId((entry.batch?.dealId ?? entry.fileId).toLowerCase());
    return { fileId, dealId, handle: handleOfUpload({ master: deps.master, entry }), entry };
  }
  const deal = await readDeal(deps, { market: deps.contracts.market, dealId: fileId });
  if (!deal || !isAddressEqual(deal.owner, deps.account.address)) throw new DaemonError('FILE_NOT_FOUND', `no file ${fileId} in this account`);
  return { fileId, dealId: fileId, handle: formatHandle({ fileId, fileKey: deriveFileKey({ master: deps.master, fileId }) }) };
}
