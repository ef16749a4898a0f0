import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../core/wait.ts';
import type { BatchLoop } from './batch-loop.ts';
import { startLoop } from './test-fixtures/batch-source.ts';

const topic = 't';
const p0 = { topic, partition: 0 };
const p1 = { topic, partition: 1 };

const loops: BatchLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
});

function setup(
  o: { drainTimeoutMs?: number; stopAt?: bigint; inFlight?: number; ordering?: 'key' | 'none' } = {},
) {
  const { stopAt, ...rest } = o;
  return startLoop(loops, { ...rest, ...(stopAt === undefined ? {} : { stopAt: () => stopAt }) });
}

const until = (what: string, check: () => boolean) =>
  waitFor(check, { timeoutMs: 5_000, intervalMs: 5, what });

describe('the batch loop', () => {
  it('runs one key at a time, in offset order, and different keys in parallel', async () => {
    const { fake, handlers } = setup();
    fake.push(p0, [
      [0, 'a'],
      [1, 'b'],
      [2, 'a'],
      [3, null],
      [4, null],
    ]);
    await until('a#0, b#1 and the first null key to start', () => handlers.started.length === 3);
    expect(handlers.started).toEqual(['0/0', '0/1', '0/3']);
    handlers.finish('0/1');
    handlers.finish('0/3');
    await until('the second null-key record', () => handlers.started.includes('0/4'));
    expect(handlers.started).not.toContain('0/2');
    handlers.finish('0/0');
    await until('a#2', () => handlers.started.includes('0/2'));
  });

  it("without key order, runs a key's records at once, and still commits only below the unfinished", async () => {
    const { fake, handlers } = setup({ ordering: 'none' });
    fake.push(p0, [
      [0, 'a'],
      [1, 'a'],
      [2, 'a'],
    ]);
    fake.push(p1, [[0, 'a']]);
    await until('every record of key a to start', () => handlers.started.length === 4);
    handlers.finish('0/1');
    handlers.finish('0/2');
    handlers.finish('1/0');
    // A commit tick went by (partition 1's), and partition 0's unfinished offset 0 held it back.
    await until('partition 1 to commit', () => fake.committedOf(p1).length > 0);
    expect(fake.committedOf(p0)).toEqual([]);
    handlers.finish('0/0');
    await until('partition 0 to commit', () => fake.committedOf(p0).length > 0);
    expect(fake.committedOf(p0)).toEqual([3n]);
  });

  it('commits the low watermark, never past an unfinished record, one request per tick', async () => {
    const { fake, handlers } = setup();
    fake.push(p0, [
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]);
    fake.push(p1, [[0, 'd']], 5);
    await until('all four handlers', () => handlers.started.length === 4);
    handlers.finish('0/1');
    handlers.finish('0/2');
    handlers.finish('1/0');
    await until('partition 1 to commit', () => fake.committedOf(p1).length > 0);
    // Partition 1's batch ended at 5 (past control records): all of it is committed.
    expect(fake.committedOf(p1)).toEqual([5n]);
    // Offset 0 of partition 0 is unfinished: nothing of partition 0 is committed.
    expect(fake.committedOf(p0)).toEqual([]);
    handlers.finish('0/0');
    await until('partition 0 to commit', () => fake.committedOf(p0).length > 0);
    expect(fake.committedOf(p0)).toEqual([3n]);

    // Two partitions that moved in the same tick go out in one request.
    fake.push(p0, [[3, 'a']]);
    fake.push(p1, [[5, 'd']]);
    await until('two more handlers', () => handlers.started.length === 6);
    const before = fake.commits.length;
    handlers.finish('0/3');
    handlers.finish('1/5');
    await until('both commits', () => fake.committedOf(p0).includes(4n) && fake.committedOf(p1).includes(6n));
    expect(fake.commits.slice(before)).toEqual([
      [
        { ...p0, offset: 4n },
        { ...p1, offset: 6n },
      ],
    ]);
  });

  it('polls again while handlers run, up to the in-flight limit', async () => {
    const { fake, handlers } = setup({ inFlight: 2 });
    fake.push(p0, [[0, 'a']]);
    await until('the first handler', () => handlers.started.length === 1);
    // Still running: the next batch is fetched and started all the same.
    fake.push(p0, [[1, 'b']]);
    await until('the second handler', () => handlers.started.length === 2);
    // At the limit: a third batch waits in the source until a handler finishes.
    fake.push(p0, [[2, 'c']]);
    await new Promise((r) => setTimeout(r, 60));
    expect(handlers.started).toEqual(['0/0', '0/1']);
    handlers.finish('0/0');
    await until('the third handler', () => handlers.started.includes('0/2'));
  });

  it('a revocation drains in-flight handlers and commits before it resolves', async () => {
    const { fake, handlers, loop } = setup();
    fake.push(p0, [
      [0, 'a'],
      [1, 'b'],
    ]);
    await until('two handlers', () => handlers.started.length === 2);
    handlers.finish('0/1');
    let revoked = false;
    const revoking = loop.revoke([p0]).then(() => {
      revoked = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(revoked).toBe(false);
    expect(handlers.signalsOf('0/0')?.stop.aborted).toBe(true);
    expect(handlers.signalsOf('0/0')?.abort.aborted).toBe(false);
    handlers.finish('0/0');
    await revoking;
    expect(fake.committedOf(p0).at(-1)).toBe(2n);
    expect(loop.owned()).toEqual([p1]);
  });

  it('a partition revoked mid-batch starts no new handler and commits nothing after revocation', async () => {
    const { fake, handlers, loop } = setup();
    fake.push(p0, [
      [0, 'a'],
      [1, 'a'],
      [2, 'a'],
    ]);
    await until('the first handler', () => handlers.started.length === 1);
    const revoking = loop.revoke([p0]);
    handlers.finish('0/0');
    await revoking;
    const commitsAtRevocation = fake.committedOf(p0);
    expect(commitsAtRevocation).toEqual([1n]);
    // Queued records of the revoked partition never start, and its later batches are ignored.
    fake.push(p0, [[3, 'b']]);
    await new Promise((r) => setTimeout(r, 60));
    expect(handlers.started).toEqual(['0/0']);
    await loop.commit();
    expect(fake.committedOf(p0)).toEqual(commitsAtRevocation);
  });

  it('abandons handlers past the drain deadline, signals them, and commits below them', async () => {
    const { fake, handlers, loop } = setup({ drainTimeoutMs: 50 });
    fake.push(p0, [
      [0, 'a'],
      [1, 'b'],
    ]);
    await until('two handlers', () => handlers.started.length === 2);
    handlers.finish('0/1');
    const t0 = Date.now();
    await loop.revoke([p0]);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(handlers.signalsOf('0/0')?.abort.aborted).toBe(true);
    // Offset 0 never finished: nothing past it is committed.
    expect(fake.committedOf(p0)).toEqual([]);
  });

  it('never commits a lost partition, even for handlers that finish afterwards', async () => {
    const { fake, handlers, loop } = setup();
    fake.push(p0, [[0, 'a']]);
    fake.push(p1, [[0, 'b']]);
    await until('two handlers', () => handlers.started.length === 2);
    loop.lose([p0]);
    expect(handlers.signalsOf('0/0')?.abort.aborted).toBe(true);
    handlers.finish('1/0');
    await until('partition 1 to commit', () => fake.committedOf(p1).length > 0);
    await loop.commit();
    expect(fake.committedOf(p0)).toEqual([]);
    expect(loop.owned()).toEqual([p1]);
  });

  it('stops a partition at stopAt: later records are not started and the partition is paused', async () => {
    const { fake, handlers, loop } = setup({ stopAt: 2n });
    fake.push(p0, [
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
      [3, 'd'],
    ]);
    await until('two handlers', () => handlers.started.length === 2);
    expect(fake.paused).toEqual([p0]);
    handlers.finish('0/0');
    handlers.finish('0/1');
    await until('the commit at the stop', () => fake.committedOf(p0).includes(2n));
    fake.push(p0, [[4, 'e']]);
    await new Promise((r) => setTimeout(r, 60));
    await loop.commit();
    expect(handlers.started).toEqual(['0/0', '0/1']);
    expect(fake.committedOf(p0)).toEqual([2n]);
  });

  it('never commits past stopAt, even when a batch ends beyond it', async () => {
    const { fake, handlers } = setup({ stopAt: 2n });
    // A batch whose records end before the stop, but whose fetch reached further.
    fake.push(p0, [[0, 'a']], 7);
    await until('the handler', () => handlers.started.length === 1);
    handlers.finish('0/0');
    await until('the commit', () => fake.committedOf(p0).length > 0);
    expect(fake.committedOf(p0)).toEqual([2n]);
    expect(fake.paused).toEqual([p0]);
  });
});
