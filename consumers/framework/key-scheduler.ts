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
  /**
   * {@link KeyScheduler.schedule} without a promise: `job.run()` starts when its turn comes and
   * `job.settled` hears how it ended. The batch loop's path: one object per record instead of
   * a promise chain.
   */
  enqueue(job: ScheduledJob): void;
  /** Tasks running now. */
  running(): number;
  /** Tasks scheduled and not yet settled (running or waiting). */
  size(): number;
}

/** A task {@link KeyScheduler.enqueue} runs. */
export interface ScheduledJob {
  readonly key: string;
  run(): Promise<unknown>;
  /** Called once, after the scheduler moved on: `ok` with the value, or not with the error. */
  settled(ok: boolean, valueOrError: unknown): void;
}

/** A FIFO queue with O(1) shift (an array's `shift` copies it once it is large). */
class Queue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    }
    return item;
  }
}

/**
 * Creates a scheduler with a global in-flight limit.
 *
 * Keys wait in plain queues rather than on promise chains: each task costs one promise (the
 * one returned) and one settlement callback, which is most of what a no-op handler costs.
 *
 * @example
 * const s = createKeyScheduler({ limit: 64 });
 * for (const m of batch.messages) s.schedule(m.key, () => handle(m));
 */
export function createKeyScheduler({ limit }: { limit: number }): KeyScheduler {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be an integer ≥ 1, got ${limit}`);
  // A key is present while one of its tasks runs or waits for a slot; its queue holds the
  // tasks scheduled behind that one.
  const keys = new Map<string, Queue<ScheduledJob>>();
  // Jobs whose turn in their key came, waiting for a slot, oldest first.
  const ready = new Queue<ScheduledJob>();
  let running = 0;
  let size = 0;

  const settle = (job: ScheduledJob) => {
    running--;
    size--;
    const next = keys.get(job.key)!.shift();
    if (next) ready.push(next);
    else keys.delete(job.key);
    while (running < limit && ready.length > 0) start(ready.shift()!);
  };

  function start(job: ScheduledJob): void {
    running++;
    let result: Promise<unknown>;
    try {
      result = job.run();
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(
      (value) => {
        settle(job);
        job.settled(true, value);
      },
      (error: unknown) => {
        settle(job);
        job.settled(false, error);
      },
    );
  }

  function enqueue(job: ScheduledJob): void {
    size++;
    const queue = keys.get(job.key);
    if (queue) queue.push(job);
    else {
      keys.set(job.key, new Queue());
      if (running < limit) start(job);
      else ready.push(job);
    }
  }

  return {
    schedule<T>(key: string, task: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) =>
        enqueue({
          key,
          run: task,
          settled: (ok, v) => (ok ? resolve(v as T) : reject(v)),
        }),
      );
    },
    enqueue,
    running: () => running,
    size: () => size,
  };
}
