import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createKeyScheduler } from './key-scheduler.ts';

describe('key scheduler', () => {
  it('runs one key in order, one at a time, and keys in parallel up to the limit', async () => {
    const s = createKeyScheduler({ limit: 4 });
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    const perKeyRunning = new Map<string, number>();
    const tasks: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) {
        tasks.push(
          s.schedule(key, async () => {
            running++;
            peak = Math.max(peak, running);
            perKeyRunning.set(key, (perKeyRunning.get(key) ?? 0) + 1);
            expect(perKeyRunning.get(key)).toBe(1);
            await sleep(Math.random() * 3);
            log.push(`${key}${i}`);
            perKeyRunning.set(key, perKeyRunning.get(key)! - 1);
            running--;
          }),
        );
      }
    }
    await Promise.all(tasks);
    expect(peak).toBe(4);
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) {
      const seen = log.filter((l) => l.startsWith(key)).map((l) => Number(l.slice(1)));
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
    expect(s.running()).toBe(0);
    expect(s.size()).toBe(0);
  });

  it('keeps a key going after a failed task, and reports the failure to its caller', async () => {
    const s = createKeyScheduler({ limit: 2 });
    const seen: number[] = [];
    const first = s.schedule('k', async () => {
      seen.push(1);
      throw new Error('boom');
    });
    const second = s.schedule('k', async () => {
      seen.push(2);
      return 'ok';
    });
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe('ok');
    expect(seen).toEqual([1, 2]);
  });

  it('holds back a key behind a task that is still running', async () => {
    const s = createKeyScheduler({ limit: 8 });
    let release!: () => void;
    const slow = s.schedule('k', () => new Promise<void>((r) => (release = r)));
    let ran = false;
    const next = s.schedule('k', async () => {
      ran = true;
    });
    await s.schedule('other', async () => {});
    expect(ran).toBe(false);
    release();
    await Promise.all([slow, next]);
    expect(ran).toBe(true);
  });

  it('rejects a limit below 1', () => {
    expect(() => createKeyScheduler({ limit: 0 })).toThrow(/limit/);
  });
});
