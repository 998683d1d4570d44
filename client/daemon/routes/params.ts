import { z } from 'zod';
import { MAX_NAME_LENGTH } from '../../manifest';
import { parseRedundancy } from '../../redundancy';

/** A file name as the manifest takes it: 1 to `MAX_NAME_LENGTH` characters, no control characters. */
export const fileName = z
  .string()
  .min(1)
  .max(MAX_NAME_LENGTH)
  .refine((s) => ![...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f), 'a file name has no control characters');

/** `rs:K+M` or `replicate:N`, checked by `parseRedundancy`. */
export const redundancyText = z.string().refine((s) => {
  try {
    parseRedundancy(s);
    return true;
  } catch {
    return false;
  }
}, 'redundancy is rs:K+M or replicate:N');

/** A file id in a path: 0x and 64 lowercase or uppercase hex digits. */
export const fileIdParam = z.object({ fileId: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a file id is 0x and 64 hex digits') });
