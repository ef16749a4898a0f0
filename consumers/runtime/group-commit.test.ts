import { describe, expect, it } from 'vitest';
import { Dependency, DependencyUnavailableError } from '../../core/errors.ts';
import { createGroupCommit } from './group-commit.ts';

describe('group commit', () => {
  it('writes concurrent items together, and a lone item at once', async () => {
    const batches: number[][] = [];
    const commit = createGroupCommit<number>({
      flush: async (items) => {
        batches.push(items);
      },
    });
    await Promise.all([1, 2, 3].map((n) => commit.add(n)));
    await commit.add(4);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('queues items that arrive during a flush into the next one, up to maxBatch', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const commit = createGroupCommit<number>({
      maxBatch: 2,
      flush: async (items) => {
        batches.push(items);
        if (items[0] === 1) await gate;
      },
    });
    const first = commit.add(1);
    await new Promise((r) => setImmediate(r));
    const rest = [2, 3, 4].map((n) => commit.add(n));
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([[1], [2, 3], [4]]);
  });

  it('retries a failed batch item by item, so only the bad item fails', async () => {
    const commit = createGroupCommit<number>({
      flush: async (items) => {
        if (items.includes(13)) throw new Error(`bad batch ${items.join(',')}`);
      },
    });
    const results = await Promise.allSettled([12, 13, 14].map((n) => commit.add(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('bad batch 13');
  });

  it('fails every item of a batch at once when the database is unavailable (no single retries)', async () => {
    let flushes = 0;
    const down = new DependencyUnavailableError(Dependency.postgres, 'connect ECONNREFUSED');
    const commit = createGroupCommit<number>({
      flush: async () => {
        flushes++;
        throw down;
      },
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => commit.add(n)));
    expect(results.map((r) => (r as PromiseRejectedResult).reason)).toEqual([down, down, down, down]);
    expect(flushes).toBe(1);
  });
});
