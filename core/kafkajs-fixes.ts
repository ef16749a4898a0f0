import { createRequire } from 'node:module';

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const checkPendingRequestsIntervalMs = 10;
const patched = Symbol.for('outstream.kafkajs.requestQueueFix');

/**
 * kafkajs 2.2.4 (its last release) re-arms a timer of `throttledUntil - now` ms after every
 * check of a connection's request queue, even with nothing pending: the delay is negative,
 * Node turns it into 1 ms, and every idle connection spins a 1 ms timer loop (kafkajs
 * #1556, #1604: CPU burnt while idle). Pending requests are also checked whenever a request
 * is queued or answered, so the timer is only needed while something waits: this schedules
 * it then only. Applied once, when `core/kafka.ts` is loaded.
 */
export function fixRequestQueueTimerLoop(): void {
  const require = createRequire(import.meta.url);
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueue & { [patched]?: true };
  };
  const proto = RequestQueue.prototype;
  if (proto[patched]) return;
  proto.scheduleCheckPendingRequests = function (this: RequestQueue) {
    if (this.pending.length === 0 || this.throttleCheckTimeoutId) return;
    const wait = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      wait > 0 ? wait : checkPendingRequestsIntervalMs,
    );
  };
  proto[patched] = true;
}

/** Offsets to commit, as kafkajs's `OffsetManager.commitOffsets` takes them. */
export interface TopicOffsets {
  topic: string;
  partitions: { partition: number; offset: string }[];
}

interface OffsetManager {
  commitOffsets(offsets?: { topics?: TopicOffsets[] }): Promise<void>;
}

interface QueuedCommit {
  topics: TopicOffsets[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

const commitsCoalesced = Symbol.for('outstream.kafkajs.commitCoalescing');

/**
 * Merges commits into one request's topics: per topic and partition, the offset asked for
 * last wins (as it would have, sent one after the other).
 */
export function mergeCommits(commits: readonly { topics: readonly TopicOffsets[] }[]): TopicOffsets[] {
  const byTopic = new Map<string, Map<number, string>>();
  for (const c of commits) {
    for (const { topic, partitions } of c.topics) {
      const offsets = byTopic.get(topic) ?? new Map<number, string>();
      byTopic.set(topic, offsets);
      for (const { partition, offset } of partitions) offsets.set(partition, offset);
    }
  }
  return [...byTopic].map(([topic, offsets]) => ({
    topic,
    partitions: [...offsets].map(([partition, offset]) => ({ partition, offset })),
  }));
}

/**
 * kafkajs sends one OffsetCommit request per `commitOffsets(offsets)` call. A consumer that
 * handles partitions concurrently commits each partition's batch on its own, all on the one
 * coordinator connection — and a broker handles one request per connection at a time, each
 * waiting out `group.coordinator.append.linger.ms` (5 ms by default in Kafka 4.x): with 36
 * partitions, ~200 ms per fetch cycle, and kafkajs fetches again only once every batch of the
 * last fetch (and so its commit) finished. This makes the concurrent explicit commits of one
 * generation (one OffsetManager) share a request: callers of the same tick go together, and
 * while a request is in flight the next callers queue up for the following one. Each caller's
 * promise settles with the request that carried its offsets; a failed request fails every
 * caller in it (the partition-level error kafkajs throws names one partition). Commits without
 * explicit offsets (kafkajs's own autoCommit) are left alone. Applied once, with
 * {@link fixRequestQueueTimerLoop}, when `core/kafka.ts` is loaded.
 */
export function coalesceOffsetCommits(): void {
  const require = createRequire(import.meta.url);
  const OffsetManager = require('kafkajs/src/consumer/offsetManager/index.js') as {
    prototype: OffsetManager & { [commitsCoalesced]?: true };
  };
  const proto = OffsetManager.prototype;
  if (proto[commitsCoalesced]) return;
  const commitOne = proto.commitOffsets;
  const queues = new WeakMap<OffsetManager, QueuedCommit[]>();

  async function flush(manager: OffsetManager, queue: QueuedCommit[]) {
    while (queue.length > 0) {
      const batch = queue.splice(0);
      try {
        await commitOne.call(manager, { topics: mergeCommits(batch) });
        for (const c of batch) c.resolve();
      } catch (e) {
        for (const c of batch) c.reject(e);
      }
    }
    queues.delete(manager);
  }

  proto.commitOffsets = function (this: OffsetManager, offsets = {}) {
    const topics = offsets.topics;
    if (!topics) return commitOne.call(this, offsets);
    return new Promise<void>((resolve, reject) => {
      const queue = queues.get(this);
      if (queue) {
        queue.push({ topics, resolve, reject });
        return;
      }
      const fresh = [{ topics, resolve, reject }];
      queues.set(this, fresh);
      // Let the callers of this tick join the first request.
      setImmediate(() => void flush(this, fresh));
    });
  };
  proto[commitsCoalesced] = true;
}
