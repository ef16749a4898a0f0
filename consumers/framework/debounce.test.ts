import { afterEach, describe, expect, it, vi } from 'vitest';
import { headerText, type KafkaRecord, recordHeaders } from '../../core/kafka/index.ts';
import { waitFor } from '../../core/wait.ts';
import type { BatchLoop } from './batch-loop.ts';
import { DebounceWindow } from './debounce.ts';
import { record, startLoop } from './test-fixtures/batch-source.ts';

const topic = 't';
const p0 = { topic, partition: 0 };
const p1 = { topic, partition: 1 };
const status = 'room.status_changed';
const occupancy = 'room.occupancy_changed';

describe('a debounce window', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('closes once its key has been quiet for quietMs, with the last event and the count', () => {
    vi.useFakeTimers();
    const due: DebounceWindow[] = [];
    const w = new DebounceWindow(
      'k',
      { type: status, quietMs: 100, maxWaitMs: 1_000 },
      record(p0, 5, 'k'),
      (x) => due.push(x),
    );
    for (let offset = 6; offset < 15; offset++) {
      vi.advanceTimersByTime(50);
      w.add(record(p0, offset, 'k'));
    }
    vi.advanceTimersByTime(99);
    expect(due).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(due).toEqual([w]);
    expect(w.last.offset).toBe(14n);
    expect(w.coalesced(Date.now())).toEqual({
      count: 10,
      firstOffset: 5n,
      lastOffset: 14n,
      firstSequence: undefined,
      heldMs: 550,
    });
  });

  it('closes maxWaitMs after its first event when the key is never quiet', () => {
    vi.useFakeTimers();
    const due: number[] = [];
    const w = new DebounceWindow(
      'k',
      { type: status, quietMs: 100, maxWaitMs: 300 },
      record(p0, 0, 'k'),
      () => due.push(Date.now()),
    );
    const start = Date.now();
    for (let offset = 1; due.length === 0; offset++) {
      vi.advanceTimersByTime(10);
      if (due.length === 0) w.add(record(p0, offset, 'k'));
    }
    expect(due[0]! - start).toBe(300);
    expect(w.count).toBe(30);
  });

  it('tells the first event’s sequence from its envelope header', () => {
    const first: KafkaRecord = {
      ...record(p0, 3, 'k', status),
      headers: recordHeaders({ 'event-type': status, sequence: '41' }),
    };
    const w = new DebounceWindow('k', { type: status, quietMs: 10, maxWaitMs: 10 }, first, () => {});
    w.cancel();
    expect(w.coalesced(Date.now()).firstSequence).toBe(41);
  });
});

const loops: BatchLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
});

/** A loop whose `room.status_changed` and `room.occupancy_changed` records are debounced. */
function setup({ quietMs = 50, maxWaitMs = 1_000, inFlight = 16, drainTimeoutMs = 5_000 } = {}) {
  return startLoop(loops, {
    inFlight,
    drainTimeoutMs,
    debounce: (r) => {
      const type = headerText(r.headers, 'event-type');
      return type === status || type === occupancy ? { type, quietMs, maxWaitMs } : undefined;
    },
  });
}

const until = (what: string, check: () => boolean) =>
  waitFor(check, { timeoutMs: 10_000, intervalMs: 5, what });
const burst = (from: number, n: number, key: string, type = status) =>
  Array.from({ length: n }, (_, i) => [from + i, key, type] as [number, string, string]);

describe('the batch loop with a debounced handler', () => {
  it('runs 100 events of one key inside the window once, with the last and a count of 100', async () => {
    const { fake, handlers, loop } = setup({ quietMs: 100 });
    for (let i = 0; i < 100; i += 10) fake.push(p0, burst(i, 10, 'room-1'));
    await until('the events to be held', () => loop.held() === 100);
    await until('the coalesced run', () => handlers.started.length === 1);
    expect(handlers.started).toEqual(['0/99']);
    expect(handlers.coalesced.get('0/99')).toMatchObject({ count: 100, firstOffset: 0n, lastOffset: 99n });
    expect(loop.held()).toBe(0);
    handlers.finish('0/99');
    await until('the commit', () => fake.committedOf(p0).includes(100n));
    expect(handlers.started).toEqual(['0/99']);
  });

  it('commits none of the held events until the run finished, and none if it was abandoned', async () => {
    const { fake, handlers, loop } = setup({ quietMs: 30, drainTimeoutMs: 50 });
    fake.push(p0, [[0, 'a', 'booking.created'], ...burst(1, 5, 'room-1'), [6, 'b', 'booking.created']]);
    await until('the run', () => handlers.started.includes('0/5'));
    handlers.finish('0/0');
    handlers.finish('0/6');
    // Offset 0 finished; 1–5 wait for the run, so 6 (finished too) is not committed past.
    await until('the commit below the window', () => fake.committedOf(p0).includes(1n));
    await loop.commit();
    expect(fake.committedOf(p0)).toEqual([1n]);
    // The run is abandoned at the drain deadline: its five events stay uncommitted.
    await loop.revoke([p0]);
    expect(handlers.signalsOf('0/5')?.abort.aborted).toBe(true);
    expect(fake.committedOf(p0)).toEqual([1n]);
  });

  it('bounds a continuous stream by maxWaitMs: runs follow each other while the key is never quiet', async () => {
    const { fake, handlers } = setup({ quietMs: 40, maxWaitMs: 150 });
    let pushed = 0;
    // One event every 5 ms — never 40 ms of quiet — until two runs started.
    while (handlers.started.length < 2 && pushed < 2_000) {
      fake.push(p0, [[pushed, 'room-1', status]]);
      pushed++;
      await new Promise((r) => setTimeout(r, 5));
      for (const id of handlers.started) if (!handlers.finished.includes(id)) handlers.finish(id);
    }
    expect(handlers.started.length).toBe(2);
    // Both ran while the stream went on; together they stood for a contiguous run of offsets.
    const [a, b] = handlers.started.map((id) => handlers.coalesced.get(id)!);
    expect(a!.firstOffset).toBe(0n);
    expect(b!.firstOffset).toBe(a!.lastOffset + 1n);
    expect(a!.count).toBeGreaterThan(1);
    expect(b!.count).toBeGreaterThan(1);
  });

  it('never holds other keys back: they run at once, held windows take no in-flight slot', async () => {
    const { fake, handlers, loop } = setup({ quietMs: 5_000, maxWaitMs: 5_000, inFlight: 2 });
    fake.push(p0, [...burst(0, 4, 'room-1'), ...burst(4, 4, 'room-2')]);
    fake.push(p1, burst(0, 3, 'room-3'));
    await until('eleven held events', () => loop.held() === 11);
    fake.push(p0, [
      [8, 'booking-1', 'booking.created'],
      [9, 'booking-2', 'booking.created'],
    ]);
    await until('both other keys', () => handlers.started.length === 2);
    handlers.finish('0/8');
    handlers.finish('0/9');
    fake.push(p1, [[3, 'booking-3', 'booking.created']]);
    await until('a third other key', () => handlers.started.includes('1/3'));
    expect(handlers.started).toEqual(['0/8', '0/9', '1/3']);
    expect(loop.held()).toBe(11);
  });

  it('runs the open window first when another event type of its key comes: the key keeps its order', async () => {
    const { fake, handlers } = setup({ quietMs: 5_000, maxWaitMs: 5_000 });
    fake.push(p0, [
      ...burst(0, 3, 'room-1', status),
      [3, 'room-1', 'room.created'],
      ...burst(4, 2, 'room-1', status),
    ]);
    await until('the first window', () => handlers.started.length === 1);
    expect(handlers.started).toEqual(['0/2']);
    expect(handlers.coalesced.get('0/2')?.count).toBe(3);
    handlers.finish('0/2');
    await until('the other type', () => handlers.started.length === 2);
    expect(handlers.started).toEqual(['0/2', '0/3']);
    handlers.finish('0/3');
    // Offsets 4 and 5 form a new window, still open.
    await new Promise((r) => setTimeout(r, 50));
    expect(handlers.started).toEqual(['0/2', '0/3']);
  });

  it('closes a window of one debounced type when another debounced type of the key comes', async () => {
    const { fake, handlers, loop } = setup({ quietMs: 5_000, maxWaitMs: 5_000 });
    fake.push(p0, [...burst(0, 2, 'room-1', status), ...burst(2, 3, 'room-1', occupancy)]);
    await until('the status window', () => handlers.started.length === 1);
    expect(handlers.coalesced.get('0/1')?.count).toBe(2);
    expect(loop.held()).toBe(3);
  });

  it('on revocation, runs open windows early and commits after them', async () => {
    const { fake, handlers, loop } = setup({ quietMs: 5_000, maxWaitMs: 5_000 });
    fake.push(p0, [...burst(0, 5, 'room-1'), ...burst(5, 5, 'room-2')]);
    await until('ten held events', () => loop.held() === 10);
    const revoking = loop.revoke([p0]);
    await until('both runs', () => handlers.started.length === 2);
    expect(handlers.started.sort()).toEqual(['0/4', '0/9']);
    handlers.finish('0/4');
    handlers.finish('0/9');
    await revoking;
    expect(fake.committedOf(p0)).toEqual([10n]);
  });

  it('on revocation, does not run a window whose key has an earlier event left unfinished', async () => {
    const { fake, handlers, loop } = setup({ quietMs: 5_000, maxWaitMs: 5_000, drainTimeoutMs: 50 });
    fake.push(p0, [[0, 'room-1', 'room.created'], ...burst(1, 3, 'room-1'), ...burst(4, 2, 'room-2')]);
    await until('the first event and five held', () => handlers.started.length === 1 && loop.held() === 5);
    await loop.revoke([p0]);
    // room-1's first event was abandoned at the deadline: its window must not run after it.
    // room-2's window had nothing before it: it ran (and was abandoned too, at the deadline).
    expect(handlers.started.sort()).toEqual(['0/0', '0/5']);
    expect(fake.committedOf(p0)).toEqual([]);
  });

  it('when a partition is lost, drops its windows uncommitted and never runs them', async () => {
    const { fake, handlers, loop } = setup({ quietMs: 30, maxWaitMs: 30 });
    fake.push(p0, burst(0, 5, 'room-1'));
    await until('five held events', () => loop.held() === 5);
    loop.lose([p0]);
    await new Promise((r) => setTimeout(r, 100));
    await loop.commit();
    expect(handlers.started).toEqual([]);
    expect(fake.committedOf(p0)).toEqual([]);
  });
});
