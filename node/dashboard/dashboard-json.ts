/*
 * What the operator dashboard's routes answer. Types only, importing nothing, so that the page
 * (built for the browser, without Node's types) can check its use of every field.
 * Token amounts, counts from the chain and block numbers are decimal strings (exact: wei do not
 * fit a JSON number); bytes and index counts are numbers.
 */

/** The node's standing as the chain records it. */
export type DashboardChain = {
  /** Stake in the registry (reward-token wei). */
  stake: string;
  /** Part of the stake locked as slot collateral (wei). */
  lockedStake: string;
  /** Slots the chain shows filled by this node now. */
  slots: number;
  /** Sum of `bytesPerSlot` over those slots (`ledger.bytesHeld`). */
  bytesHeld: string;
  /** Proofs the chain accepted (`ledger.epochsProven`). */
  proofsSubmitted: string;
  /** Proofs of this node's slots marked missing (`ledger.proofsMissed`). */
  proofsMissed: string;
  rewards: {
    /** Escrow paid to the node by `claim` (`ledger.earned`, wei). */
    earned: string;
    /** Tokens minted to the node as subsidy (`ledger.subsidy`, wei). */
    subsidy: string;
    /** Pay of past epochs not settled yet: the most `claim` can pay now (epochs challenged and not proven are not paid). */
    claimable: string;
  };
  /** Marker credit held by the registry, not withdrawn yet (wei). */
  markerCredit: string;
  /** When these figures were read from the chain (ISO 8601). */
  readAt: string;
};

/** One recent event naming this node, as a log on chain. */
export type DashboardEvent = {
  /** The event's name in the contract: `SlotFilled`, `ProofSubmitted`, `ProofMissed`, `Claimed`, `CollateralReleased`, `SlotFreed`, `StakeAdded`, `StakeSlashed`, … */
  name: string;
  /** `Marketplace` or `PeerRegistry`. */
  contract: string;
  blockNumber: string;
  txHash: string;
  logIndex: number;
  /** The slot it is about, when it is about one. */
  slotId: string | null;
  /** The epoch it is about, when it names one. */
  epoch: string | null;
  /** The amount it moved (wei), when it moved one. */
  amount: string | null;
};

/** A usage sample of the chart. */
export type DashboardPoint = {
  /** Unix milliseconds. */
  at: number;
  usedBytes: number;
  capacityBytes: number;
};

/** `GET /operator/dashboard`. */
export type DashboardJson = {
  address: string;
  chainId: number;
  /** When the answer was made (ISO 8601). */
  generatedAt: string;
  startedAt: string;
  uptimeSeconds: number;
  /** From the node's own index. */
  storage: { capacityBytes: number; usedBytes: number; freeBytes: number; shards: number; slots: number };
  /** Usage over the last 24 h, oldest first, at most `historyMaxPoints`; the last point is this answer's own usage. */
  history: { fromMs: number; toMs: number; points: DashboardPoint[] };
  /** From the chain; null when the chain could not be read (see `chainError`). */
  chain: DashboardChain | null;
  chainError: { code: string; message: string } | null;
  /** Recent events naming this node, newest first. */
  events: DashboardEvent[];
};

/** One slot claimed by `POST /operator/claim`. */
export type ClaimedSlot = {
  slotId: string;
  /** Paid by this claim (wei, from its `Claimed` event). */
  amount: string;
  /** The last epoch settled by it. */
  settledThrough: string;
  txHash: string;
};

/** `POST /operator/claim`. */
export type ClaimJson = {
  claimed: ClaimedSlot[];
  /** Sum of the amounts (wei). */
  total: string;
  /** Slots whose claim was refused or failed for another reason than having nothing to claim. */
  failed: { slotId: string; message: string }[];
};
