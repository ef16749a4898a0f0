import type { Redis } from 'ioredis';

/**
 * Waiting for another process's fill notice: one subscriber connection per process
 * (duplicated lazily from the command connection), one channel per awaited key,
 * unsubscribed when its last waiter leaves.
 */
export function createWaiters(redis: Redis) {
  let sub: Redis | undefined;
  const waiting = new Map<string, Set<() => void>>();

  function subscriber(): Redis {
    if (!sub) {
      sub = redis.duplicate();
      sub.on('error', () => {});
      sub.on('message', (channel: string) => {
        for (const wake of waiting.get(channel) ?? []) wake();
      });
    }
    return sub;
  }

  return {
    /**
     * Resolves on a notice on `channel`, after `timeoutMs`, or at once when `ready()` (run
     * after subscribing, so a notice sent in between is not missed) says so.
     */
    async wait(channel: string, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
      const s = subscriber();
      let set = waiting.get(channel);
      const first = !set;
      if (!set) {
        set = new Set();
        waiting.set(channel, set);
      }
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      set.add(wake);
      const timer = setTimeout(wake, timeoutMs);
      try {
        if (first) await s.subscribe(channel);
        if (!(await ready())) await woken;
      } finally {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && waiting.get(channel) === set) {
          waiting.delete(channel);
          s.unsubscribe(channel).catch(() => {});
        }
      }
    },
    async close(): Promise<void> {
      const s = sub;
      sub = undefined;
      if (s) await s.quit().catch(() => s.disconnect());
    },
  };
}
