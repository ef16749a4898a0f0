import { unavailableDependency } from '../framework/dependency.ts';

/** Options of {@link createGroupCommit}. */
export interface GroupCommitOptions<T> {
  /** Writes a batch in one transaction; throws to fail every item of it. */
  flush(items: T[]): Promise<void>;
  /** Largest batch (default 1000). */
  maxBatch?: number;
}

/**
 * Group commit: concurrent callers of `add` share one transaction. While a flush runs, new
 * items queue up and go together in the next one, so batches grow with the load and a lone
 * item is written at once (no timer, no added latency when idle). Each caller's promise
 * settles when its item is committed or failed. A failed batch is retried item by item, so
 * one bad item fails alone instead of taking its neighbours with it — unless the failure says
 * a dependency is unavailable (`unavailableDependency`: the database is down): every item
 * then fails with it at once, instead of a thousand single writes against a dead server.
 *
 * @example
 * const commit = createGroupCommit({ flush: (facts) => withTx(pool, (tx) => applyFacts(tx, facts)) });
 * await commit.add(fact); // resolves once the fact's transaction committed
 */
export function createGroupCommit<T>({ flush, maxBatch = 1000 }: GroupCommitOptions<T>) {
  type Entry = { item: T; resolve: () => void; reject: (e: unknown) => void };
  const queue: Entry[] = [];
  let running = false;
  let batches = 0;
  let items = 0;

  async function drain() {
    running = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        batches++;
        items += batch.length;
        try {
          await flush(batch.map((e) => e.item));
          for (const e of batch) e.resolve();
        } catch (error) {
          if (batch.length === 1 || unavailableDependency(error) !== undefined) {
            for (const e of batch) e.reject(error);
            continue;
          }
          for (const e of batch) {
            try {
              await flush([e.item]);
              e.resolve();
            } catch (single) {
              e.reject(single);
            }
          }
        }
      }
    } finally {
      running = false;
    }
  }

  return {
    /** Queues an item; resolves once it is committed. */
    add(item: T): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        // Let the callers of this tick join before the first flush starts.
        if (!running) {
          running = true;
          setImmediate(() => void drain());
        }
      });
    },
    /** Batches flushed and items in them so far (mean batch size = items / batches). */
    stats: () => ({ batches, items, queued: queue.length }),
  };
}
