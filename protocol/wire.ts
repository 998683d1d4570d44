import { z } from 'zod';

/**
 * Wire schemas: the JSON bodies node and client exchange. The node builds its answers from these
 * types and the client validates what it receives with them.
 */

const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

/**
 * Every refusal: `{ error: { code, message, details? } }`.
 *
 * @example
 * const body = errorBodySchema.parse(await res.json());
 */
export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});
/** A refusal body. */
export type ErrorBody = z.infer<typeof errorBodySchema>;

/**
 * `GET /status`: what a node holds and can still take.
 *
 * @example
 * const status = nodeStatusSchema.parse(await (await fetch(`${endpoint}/status`)).json());
 */
export const nodeStatusSchema = z.object({
  address,
  chainId: z.number().int(),
  version: z.string(),
  capacityBytes: z.number().int().nonnegative(),
  usedBytes: z.number().int().nonnegative(),
  freeBytes: z.number().int().nonnegative(),
  slots: z.number().int().nonnegative(),
  shards: z.number().int().nonnegative(),
  maxShardBytes: z.number().int().positive(),
  uptimeSeconds: z.number().nonnegative(),
  /** Unix seconds when the node signed this status (absent from nodes that do not sign). */
  signedAt: z.number().int().nonnegative().optional(),
  /** EIP-191 signature by the node's operator key over `canonicalStatus` (protocol/status-signing.ts). */
  signature: z
    .string()
    .regex(/^0x[0-9a-fA-F]{130}$/)
    .optional(),
});
/** A node's status. */
export type NodeStatus = z.infer<typeof nodeStatusSchema>;

/**
 * `GET /health`.
 *
 * @example
 * healthSchema.parse({ ok: true });
 */
export const healthSchema = z.object({ ok: z.boolean() });

/**
 * One stored shard, as listed by the node.
 *
 * @example
 * storedShardSchema.parse({ index: 0, size: 1048592, sha256: 'ab…' });
 */
export const storedShardSchema = z.object({
  index: z.union([z.number().int().nonnegative(), z.literal('manifest')]),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * `GET /files/:fileId`: what the node holds of a file, slot by slot.
 *
 * @example
 * const held = fileHoldingsSchema.parse(await res.json());
 */
export const fileHoldingsSchema = z.object({
  fileId: hex32,
  slots: z.array(
    z.object({
      slotId: hex32,
      column: z.number().int().nonnegative(),
      owner: address,
      shards: z.array(storedShardSchema),
      bytes: z.number().int().nonnegative(),
    }),
  ),
});
/** What a node holds of a file. */
export type FileHoldings = z.infer<typeof fileHoldingsSchema>;

/**
 * The answer to a stored shard (`PUT`): where it is and what was checked.
 *
 * @example
 * shardStoredSchema.parse(await res.json());
 */
export const shardStoredSchema = z.object({
  slotId: hex32,
  index: z.union([z.number().int().nonnegative(), z.literal('manifest')]),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  created: z.boolean(),
});

/** Most nodes in a slot root's proof: depth of a deal tree over `MAX_COLUMNS` (256) slots. */
const MAX_ROOT_PROOF_NODES = 8;

/**
 * The owner's notice to a peer that the deal root is committed (`PUT /slots/:slotId/commit`): the
 * slot root of the column the peer holds, its proof in the deal root (bottom-up), and the segment
 * count the deal committed. The node checks all of it against the chain before it records the slot
 * for filling.
 *
 * @example
 * slotCommitSchema.parse({ slotRoot, rootProof: [sibling], segmentCount: 2049 });
 */
export const slotCommitSchema = z
  .object({
    slotRoot: hex32,
    rootProof: z.array(hex32).max(MAX_ROOT_PROOF_NODES),
    segmentCount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  })
  .strict();
/** A commit notice as sent. */
export type SlotCommit = z.infer<typeof slotCommitSchema>;

/**
 * The answer to a commit notice: the slot is recorded for filling (`created` false when the node
 * had it already).
 *
 * @example
 * slotCommitRecordedSchema.parse(await res.json());
 */
export const slotCommitRecordedSchema = z.object({ slotId: hex32, created: z.boolean() });
