import type { KafkaRecord, TopicPartition } from '../../core/kafka/index.ts';
import type { DebounceWindow } from './debounce.ts';
import type { Coalesced } from './handler.ts';
import type { ScheduledJob } from './key-scheduler.ts';
import type { OffsetTracker } from './offset-tracker.ts';
import type { RecordOutcome, RecordSignals } from './process-record.ts';

// The batch loop's partition state and the two kinds of job it hands the key scheduler.

type Process = (record: KafkaRecord, signals: RecordSignals, coalesced?: Coalesced) => Promise<RecordOutcome>;

/** One partition the batch loop owns. */
export interface Owned extends TopicPartition {
  tracker: OffsetTracker;
  /** The last committed offset (at first, the position the partition was assigned at). */
  committed: bigint;
  /** The offset after the last record handed out (or skipped over by a batch's end). */
  handedUpTo: bigint;
  highWatermark: bigint;
  /** Jobs handed to the scheduler, and open debounce windows, not settled. */
  active: number;
  /** Called (and cleared) when `active` drops to 0. */
  idle: (() => void)[];
  /** Revocation began: no handler starts any more. */
  revoking: boolean;
  /** Revoked or lost: nothing of it is committed any more. */
  gone: boolean;
  /** Reached `stopAt`. */
  stopped: boolean;
  /** Stops retries (draining); `abort` is the handlers' signal, fired past the drain deadline. */
  stop: AbortController;
  abort: AbortController;
  /** The two signals above, as the record processor takes them. */
  signals: RecordSignals;
  /** Open debounce windows, by key: their events are handed out (tracked, active), not scheduled. */
  windows: Map<string, DebounceWindow>;
  /**
   * Keys with an event left unfinished while revoking (not started, abandoned): a window of the
   * key flushed by the revocation must not run after it, or the key would lose its order.
   */
  unfinished: Set<string> | undefined;
}

const notStarted = Promise.resolve(undefined);

/**
 * One record's turn in the key scheduler: one object per record, methods on the prototype (at
 * tens of thousands of records a second, a closure chain per record is a visible share of a
 * no-op handler's cost, mostly in the garbage collector).
 */
export class RecordJob implements ScheduledJob {
  readonly key: string;
  readonly #record: KafkaRecord;
  readonly #p: Owned;
  readonly #process: Process;
  readonly #done: Settled;

  constructor(key: string, record: KafkaRecord, p: Owned, process: Process, done: Settled) {
    this.key = key;
    this.#record = record;
    this.#p = p;
    this.#process = process;
    this.#done = done;
  }

  run(): Promise<RecordOutcome | undefined> {
    // Revoked while it waited: it never starts, and its offset stays uncommitted.
    return this.#p.revoking || this.#p.gone ? notStarted : this.#process(this.#record, this.#p.signals);
  }

  settled(ok: boolean, outcome: unknown): void {
    this.#done(this.#p, this.key, this.#record.offset, ok, outcome);
  }
}

export function markUnfinished(p: Owned, key: string): void {
  p.unfinished ??= new Set();
  p.unfinished.add(key);
}

export type Settled = (p: Owned, key: string, offset: bigint, ok: boolean, outcome: unknown) => void;

/** The run of a closed debounce window: the window's last record, standing for all its events. */
export class WindowJob implements ScheduledJob {
  readonly key: string;
  readonly #window: DebounceWindow;
  readonly #p: Owned;
  readonly #process: Process;
  readonly #done: (p: Owned, window: DebounceWindow, ok: boolean, outcome: unknown) => void;

  constructor(
    window: DebounceWindow,
    p: Owned,
    process: Process,
    done: (p: Owned, window: DebounceWindow, ok: boolean, outcome: unknown) => void,
  ) {
    this.key = window.key;
    this.#window = window;
    this.#p = p;
    this.#process = process;
    this.#done = done;
  }

  async run(): Promise<RecordOutcome | undefined> {
    // The scheduler starts this job before it reports how the key's previous job ended: look
    // one microtask later, once `unfinished` knows.
    await undefined;
    const p = this.#p;
    // Flushed by a revocation, it runs (see `revoke`) unless an earlier event of its key did not.
    if (p.gone || (p.revoking && p.unfinished?.has(this.key))) return undefined;
    const w = this.#window;
    return this.#process(w.last, p.signals, w.coalesced(Date.now()));
  }

  settled(ok: boolean, outcome: unknown): void {
    this.#done(this.#p, this.#window, ok, outcome);
  }
}
