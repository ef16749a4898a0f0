import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import {
  type KafkaRecord,
  type PartitionOffset,
  partitionKey,
  type RecordBatch,
  type TopicPartition,
} from '../../core/kafka/index.ts';
import { markUnfinished, type Owned, RecordJob, WindowJob } from './batch-jobs.ts';
import { type DebounceRule, DebounceWindow } from './debounce.ts';
import type { Coalesced } from './handler.ts';
import type { KeyScheduler } from './key-scheduler.ts';
import { createOffsetTracker } from './offset-tracker.ts';
import type { RecordOutcome, RecordSignals } from './process-record.ts';

/**
 * What the batch loop reads from and commits to: the group consumer of the port, or (for a
 * dead-letter replay) a bounded range read whose commits move a replay cursor.
 */
export interface BatchSource {
  /** The next batches of the partitions handed to the loop; `[]` when none came in time. */
  poll(signal: AbortSignal): Promise<RecordBatch[]>;
  /** Commits many partitions' next offsets in one request. */
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
  /** Stops fetching partitions (the loop reached where it was told to stop). */
  pause(partitions: readonly TopicPartition[]): void;
}

/** A commit that went through, per partition, with the lag it leaves. */
export interface CommittedOffset extends PartitionOffset {
  lag: bigint;
}

/** What {@link createBatchLoop} needs. */
export interface BatchLoopDeps {
  source: BatchSource;
  scheduler: KeyScheduler;
  /** Records handed out and not finished, beyond which the loop waits before polling again. */
  inFlight: number;
  /** `key` (default): serial per key; `none`: every record runs as soon as there is room. */
  ordering?: 'key' | 'none';
  /**
   * Processes one record (never throws): the consumer core's record processor. `coalesced`:
   * the record is the last of a debounce window and its run stands for those events.
   */
  process(record: KafkaRecord, signals: RecordSignals, coalesced?: Coalesced): Promise<RecordOutcome>;
  /**
   * The debounce of a keyed record's event type, if its handler has one: such records are held
   * per key in a window and run once, with the last (see {@link DebounceWindow}). Dead-letter
   * replays pass none: they never hold a record.
   */
  debounce?: (record: KafkaRecord) => DebounceRule | undefined;
  /** How long a revocation waits for a partition's in-flight handlers before abandoning them. */
  drainTimeoutMs: number;
  /** How often the moved low watermarks are committed, all in one request (default 100 ms). */
  commitIntervalMs?: number;
  /**
   * Where to stop reading a partition (dead-letter replays stop at the end they saw): records
   * at or past it are not started, and the partition is paused there.
   */
  stopAt?: (partition: TopicPartition) => bigint | undefined;
  logger: Logger;
  onBatch?(batch: RecordBatch): void;
  onCommitted?(offsets: readonly CommittedOffset[]): void;
}

/**
 * The batch loop: polls, hands each record to the key scheduler (parallel across keys, serial
 * per key, null keys in partition order), tracks each partition's low watermark and commits
 * the ones that moved in one request per tick — never past an unfinished record. It polls
 * again as soon as a batch is handed out, bounded only by the in-flight limit. Membership
 * tells it which partitions it owns (`assign`, `revoke`, `lose`); a revoked partition starts
 * no new handler, drains the running ones (up to the deadline), commits, and is forgotten.
 */
export function createBatchLoop(deps: BatchLoopDeps) {
  const { source, scheduler, logger } = deps;
  const owned = new Map<string, Owned>();
  const polling = new AbortController();
  let running: Promise<void> | undefined;
  let tick: NodeJS.Timeout | undefined;
  let committing: Promise<void> = Promise.resolve();
  // Commits queued or running.
  let commitInFlight = 0;
  // Woken whenever a task settles: the loop may be waiting for room under the in-flight limit.
  let wake: (() => void) | undefined;
  polling.signal.addEventListener('abort', () => wake?.(), { once: true });

  const settled = (p: Owned, key: string, offset: bigint, ok: boolean, outcome: unknown) => {
    if (!ok) {
      logger.error({ err: outcome, topic: p.topic, partition: p.partition, offset }, 'bug: task failed');
    }
    if (ok && outcome !== 'abandoned' && outcome !== undefined) {
      if (!p.gone) p.tracker.complete(offset);
    } else if (p.revoking) markUnfinished(p, key);
    if (--p.active === 0 && p.idle.length > 0) for (const done of p.idle.splice(0)) done();
    wake?.();
  };

  // Every event the window held finishes with its run, or none does (a crash, an abandoned
  // run: all of them are redelivered, and a new window forms).
  const windowSettled = (p: Owned, w: DebounceWindow, ok: boolean, outcome: unknown) => {
    if (!ok)
      logger.error(
        { err: outcome, topic: p.topic, partition: p.partition, offset: w.last.offset },
        'bug: task failed',
      );
    if (ok && outcome !== 'abandoned' && outcome !== undefined) {
      if (!p.gone) for (const offset of w.offsets) p.tracker.complete(offset);
    } else if (p.revoking) markUnfinished(p, w.key);
    if (--p.active === 0 && p.idle.length > 0) for (const done of p.idle.splice(0)) done();
    wake?.();
  };

  /** Closes an open window: its run is scheduled behind the key's earlier events. */
  function closeWindow(p: Owned, w: DebounceWindow): void {
    if (p.windows.get(w.key) !== w) return;
    w.cancel();
    p.windows.delete(w.key);
    scheduler.enqueue(new WindowJob(w, p, deps.process, windowSettled));
  }

  /**
   * Holds a keyed record in its key's window when its type is debounced (true: nothing more to
   * do). A record of another type of a key with an open window closes that window first: the
   * window's run comes before it, in the key's order.
   */
  function coalesce(
    p: Owned,
    record: KafkaRecord,
    debounce: NonNullable<BatchLoopDeps['debounce']>,
  ): boolean {
    if (record.key === null) return false;
    const rule = debounce(record);
    if (rule === undefined && p.windows.size === 0) return false;
    const key = `${p.topic}\u0000=${record.key.toString()}`;
    const open = p.windows.get(key);
    if (open !== undefined) {
      if (rule !== undefined && open.type === rule.type) {
        open.add(record);
        return true;
      }
      closeWindow(p, open);
    }
    if (rule === undefined) return false;
    p.active++;
    p.windows.set(key, new DebounceWindow(key, rule, record, (w) => closeWindow(p, w)));
    return true;
  }

  const position = (p: Owned) => (p.tracker.pending() === 0 ? p.handedUpTo : p.tracker.watermark()!);

  function hand(batch: RecordBatch): void {
    const p = owned.get(partitionKey(batch));
    if (!p || p.revoking || p.gone || p.stopped) return;
    p.highWatermark = batch.highWatermark;
    deps.onBatch?.(batch);
    const stopAt = deps.stopAt?.(p);
    for (const record of batch.records) {
      if (record.offset < p.handedUpTo) continue;
      if (stopAt !== undefined && record.offset >= stopAt) {
        p.stopped = true;
        source.pause([{ topic: p.topic, partition: p.partition }]);
        return;
      }
      p.tracker.add(record.offset);
      p.handedUpTo = record.offset + 1n;
      if (deps.debounce !== undefined && coalesce(p, record, deps.debounce)) continue;
      // Null keys have no order of their own: keep them in partition order. Without key order,
      // each record is a key of its own.
      const key =
        deps.ordering === 'none'
          ? `${p.topic}\u0000@${p.partition}:${record.offset}`
          : `${p.topic}\u0000${record.key === null ? `#${p.partition}` : `=${record.key.toString()}`}`;
      p.active++;
      scheduler.enqueue(new RecordJob(key, record, p, deps.process, settled));
    }
    // Past control records and compacted gaps at the batch's end too, but never past the stop.
    const end = stopAt !== undefined && batch.nextOffset > stopAt ? stopAt : batch.nextOffset;
    if (end > p.handedUpTo) p.handedUpTo = end;
    if (stopAt !== undefined && p.handedUpTo >= stopAt) {
      p.stopped = true;
      source.pause([{ topic: p.topic, partition: p.partition }]);
    }
  }

  /** Commits every partition (of `only`, if given) whose position moved; one request. */
  function commit(only?: readonly Owned[]): Promise<void> {
    commitInFlight++;
    const run = committing.then(async () => {
      const due = (only ?? [...owned.values()]).filter((p) => !p.gone && position(p) > p.committed);
      if (due.length === 0) return;
      const offsets = due.map((p) => ({ topic: p.topic, partition: p.partition, offset: position(p) }));
      try {
        await source.commit(offsets);
      } catch (e) {
        logger.warn(
          { err: e, partitions: offsets.map((o) => `${o.topic}/${o.partition}`) },
          'offset commit failed',
        );
        return;
      }
      const done: CommittedOffset[] = [];
      due.forEach((p, i) => {
        const offset = offsets[i]!.offset;
        if (offset > p.committed) p.committed = offset;
        done.push({ ...offsets[i]!, lag: p.highWatermark > offset ? p.highWatermark - offset : 0n });
      });
      deps.onCommitted?.(done);
    });
    committing = run
      .catch(() => {})
      .finally(() => {
        commitInFlight--;
      });
    return run;
  }

  /** Forgets a partition, unless it was assigned anew meanwhile (a late revocation). */
  function forget(p: Owned): void {
    const id = partitionKey(p);
    if (owned.get(id) === p) owned.delete(id);
  }

  function dueForCommit(): boolean {
    for (const p of owned.values()) if (!p.gone && position(p) > p.committed) return true;
    return false;
  }

  async function loop(): Promise<void> {
    while (!polling.signal.aborted) {
      if (scheduler.size() >= deps.inFlight) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      try {
        for (const batch of await source.poll(polling.signal)) hand(batch);
      } catch (e) {
        // The port waits out outages itself; anything thrown here is unexpected: back off.
        logger.error({ err: e }, 'poll failed');
        await sleep(1_000, undefined, { signal: polling.signal }).catch(() => {});
      }
    }
  }

  return {
    /** Partitions now owned, each read from `offset` (its committed position). */
    assign(positions: readonly PartitionOffset[]): void {
      for (const { topic, partition, offset } of positions) {
        const stop = new AbortController();
        const abort = new AbortController();
        owned.set(partitionKey({ topic, partition }), {
          topic,
          partition,
          tracker: createOffsetTracker(),
          committed: offset,
          handedUpTo: offset,
          highWatermark: offset,
          active: 0,
          idle: [],
          revoking: false,
          gone: false,
          stopped: false,
          stop,
          abort,
          signals: { stop: stop.signal, abort: abort.signal },
          windows: new Map(),
          unfinished: undefined,
        });
      }
    },

    /**
     * Partitions being taken away: no handler starts on them any more, running ones get up to
     * `drainTimeoutMs` (then their signal fires and they are abandoned), the low watermark is
     * committed, and the partitions are forgotten — all before this resolves.
     *
     * Open debounce windows run now, early, within the same drain (one attempt: `stop` has
     * fired), unless an earlier event of their key was left unfinished: held, each would keep
     * the commit below its first event, and the next owner would redeliver every event of the
     * partition after it. A run that does not finish is redelivered, window and all.
     */
    async revoke(partitions: readonly TopicPartition[]): Promise<void> {
      const ps = partitions.flatMap((tp) => owned.get(partitionKey(tp)) ?? []);
      for (const p of ps) {
        p.revoking = true;
        p.stop.abort();
      }
      for (const p of ps) for (const w of [...p.windows.values()]) closeWindow(p, w);
      const busy = ps.filter((p) => p.active > 0);
      if (busy.length > 0) {
        const deadline = new AbortController();
        const drained = await Promise.race([
          Promise.all(busy.map((p) => new Promise<void>((done) => p.idle.push(done)))).then(() => true),
          sleep(deps.drainTimeoutMs, false, { signal: deadline.signal }).catch(() => false),
        ]);
        deadline.abort();
        if (!drained) {
          for (const p of ps) p.abort.abort();
          const pending = ps.reduce((n, p) => n + p.tracker.pending(), 0);
          logger.warn({ pending }, 'drain deadline passed; abandoning in-flight handlers');
        }
      }
      await commit(ps);
      for (const p of ps) {
        p.gone = true;
        forget(p);
      }
    },

    /** Partitions lost without notice (fenced): nothing of them may be committed any more. */
    lose(partitions: readonly TopicPartition[]): void {
      for (const tp of partitions) {
        const p = owned.get(partitionKey(tp));
        if (!p) continue;
        p.gone = true;
        p.stop.abort();
        p.abort.abort();
        // Held events are dropped uncommitted: the partition's next owner redelivers them.
        for (const w of p.windows.values()) w.cancel();
        p.active -= p.windows.size;
        p.windows.clear();
        forget(p);
      }
    },

    /** Starts polling and the commit tick. */
    start(): void {
      running ??= loop();
      tick ??= setInterval(() => {
        // A slow commit is not queued behind by another each tick: the next one, once it is
        // through, takes everything that moved meanwhile.
        if (!commitInFlight && dueForCommit()) void commit();
      }, deps.commitIntervalMs ?? 100);
    },

    /** Stops polling and ticking, then commits what finished. Owned partitions stay owned. */
    async stop(): Promise<void> {
      polling.abort();
      clearInterval(tick);
      await running;
      await commit();
    },

    /** Commits what moved now (one request). */
    commit: (): Promise<void> => commit(),

    /** The partitions owned (revoking ones included, until revoked). */
    owned: (): TopicPartition[] => [...owned.values()].map(({ topic, partition }) => ({ topic, partition })),

    /** Events held in open debounce windows (not in flight: no handler runs for them yet). */
    held(): number {
      let n = 0;
      for (const p of owned.values()) for (const w of p.windows.values()) n += w.count;
      return n;
    },

    /** The committed position of each owned partition. */
    committed: (): PartitionOffset[] =>
      [...owned.values()].map(({ topic, partition, committed }) => ({ topic, partition, offset: committed })),
  };
}

/** The loop {@link createBatchLoop} returns. */
export type BatchLoop = ReturnType<typeof createBatchLoop>;
