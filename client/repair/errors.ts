import { DhostError } from '../../protocol/errors';

/**
 * Repair was asked for a replicated file (manifest version 1) or a replicated batch (`batch: true`).
 * Rebuilding a replica means re-encrypting its chunks under that column's own key, which needs the
 * file key; repair works without the key, so only Reed-Solomon deals (a file with manifest version 2,
 * or a Reed-Solomon batch) can be repaired.
 *
 * @example
 * throw new ReplicatedRepairUnsupportedError({ fileId });
 */
export class ReplicatedRepairUnsupportedError extends DhostError {
  override readonly code = 'REPLICATED_REPAIR_UNSUPPORTED';
  constructor(params: { fileId: string; batch?: boolean }) {
    super(
      params.batch
        ? `deal ${params.fileId} is a replicated batch: repairing a replica needs the files' keys and is not supported; only Reed-Solomon deals are repaired`
        : `file ${params.fileId} is replicated (manifest v1): repairing a replica needs the file key and is not supported; only Reed-Solomon files are repaired`,
      {
        details: { ...params },
      },
    );
  }
}

/**
 * The deal cannot take new fills: cancelled, ended, its root not committed, or owned by another
 * account than the one that would sign the new assignments.
 *
 * @example
 * throw new DealNotRepairableError('deal 0x… has ended', { details: { dealId } });
 */
export class DealNotRepairableError extends DhostError {
  override readonly code = 'DEAL_NOT_REPAIRABLE';
}

/**
 * Fewer than k columns can serve the bytes a repair needs (healthy holders that answer and whose
 * slot roots are proven in the deal root).
 *
 * @example
 * throw new RepairSourcesError({ fileId, needed: 4, usable: 3, reasons: ['column 2: timeout'] });
 */
export class RepairSourcesError extends DhostError {
  override readonly code = 'REPAIR_SOURCES_LOST';
  readonly needed: number;
  readonly usable: number;
  constructor(params: { fileId: string; needed: number; usable: number; reasons: string[] }, options: { cause?: unknown } = {}) {
    super(
      `repair of ${params.fileId} needs ${params.needed} source columns, ${params.usable} usable` +
        (params.reasons.length ? `: ${params.reasons.slice(0, 8).join('; ')}` : ''),
      { details: { ...params }, cause: options.cause },
    );
    this.needed = params.needed;
    this.usable = params.usable;
  }
}

/**
 * The rebuilt columns do not lead to the deal root committed on chain: a source served bytes other
 * than those it committed to. Nothing was committed to the new peers. `badColumns` names the
 * sources whose own bytes did not match their slot roots (empty when none could be singled out).
 *
 * @example
 * throw new RepairIntegrityError({ fileId, badColumns: [2], reason: 'column 2 served bytes outside its slot root' });
 */
export class RepairIntegrityError extends DhostError {
  override readonly code = 'REPAIR_INTEGRITY';
  readonly badColumns: number[];
  constructor(params: { fileId: string; badColumns: number[]; reason: string }, options: { cause?: unknown } = {}) {
    super(`repair of ${params.fileId} refused: ${params.reason}; nothing was committed`, { details: { ...params }, cause: options.cause });
    this.badColumns = params.badColumns;
  }
}
