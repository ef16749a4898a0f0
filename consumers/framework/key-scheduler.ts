/**
 * Runs tasks one at a time per key, in the order they were scheduled, and at most `limit`
 * tasks at once over all keys. This is how a partition's events are processed in parallel
 * without breaking per-aggregate order: the key is the aggregate, the limit is the
 * consumer's in-flight budget. Chains outlive the batch that scheduled them, so a task left
 * running by an abandoned batch still holds back the next task of its key.
 */
export interface KeyScheduler {
  /**
   * Runs `task` once every earlier task of `key` has settled and a slot is free; settles
   * with the task's outcome. A failed task does not stop the key's later tasks.
   */
  schedule<T>(key: string, task: () => Promise<T>): Promise<T>;
  /** Tasks running now. */
  running(): number;
  /** Tasks scheduled and not yet settled (running or waiting). */
  size(): number;
}

/**
 * Creates a scheduler with a global in-flight limit.
 *
 * @example
 * const s = createKeyScheduler({ limit: 64 });
 * for (const m of batch.messages) s.schedule(m.key, () => handle(m));
 */
export function createKeyScheduler({ limit }: { limit: number }): KeyScheduler {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be an integer ≥ 1, got ${limit}`);
  const tails = new Map<string, Promise<unknown>>();
  const waiting: (() => void)[] = [];
  let running = 0;
  let size = 0;

  const acquire = (): Promise<void> | undefined => {
    if (running < limit) {
      running++;
      return undefined;
    }
    return new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    // The slot passes straight to the next waiter: `running` stays the same.
    if (next) next();
    else running--;
  };

  return {
    schedule<T>(key: string, task: () => Promise<T>): Promise<T> {
      size++;
      const previous = tails.get(key);
      const start = async (): Promise<T> => {
        await acquire();
        try {
          return await task();
        } finally {
          release();
          size--;
        }
      };
      const result = previous ? previous.then(start) : start();
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
    running: () => running,
    size: () => size,
  };
}
