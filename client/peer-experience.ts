import type { Address } from 'viem';

/**
 * What this client has seen of peers' service: reads (or writes) that succeeded and failed, per
 * operator. Placement reads it to lower the score of peers that store but do not serve.
 */
export interface PeerExperience {
  successes(operator: Address): number;
  failures(operator: Address): number;
}

/** A `PeerExperience` that can also be told what happened. */
export interface PeerExperienceLog extends PeerExperience {
  recordSuccess(operator: Address): void;
  recordFailure(operator: Address): void;
}

/**
 * An in-memory experience log. Keep one per process (or per user session) and pass it to both
 * download (to record) and placement (to read); nothing is shared between instances.
 *
 * @example
 * const experience = memoryExperience();
 * experience.recordFailure(peer.operator);
 * await placeColumns({ peers, experience }, { columns: 6, columnBytes, shardBytes });
 */
export function memoryExperience(): PeerExperienceLog {
  const counts = new Map<string, { successes: number; failures: number }>();
  const entry = (operator: Address) => {
    const key = operator.toLowerCase();
    let e = counts.get(key);
    if (!e) {
      e = { successes: 0, failures: 0 };
      counts.set(key, e);
    }
    return e;
  };
  return {
    successes: (operator) => counts.get(operator.toLowerCase())?.successes ?? 0,
    failures: (operator) => counts.get(operator.toLowerCase())?.failures ?? 0,
    recordSuccess: (operator) => {
      entry(operator).successes++;
    },
    recordFailure: (operator) => {
      entry(operator).failures++;
    },
  };
}
