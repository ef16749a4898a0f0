import { envelopeHeaders } from '../../connect/outbox-connector.ts';
import { headerText, type KafkaRecord } from '../../core/kafka/index.ts';
import type { Coalesced, DebounceOptions } from './handler.ts';

/** The debounce of one event type, as the batch loop asks for it per record. */
export interface DebounceRule extends DebounceOptions {
  /** The event type: a window holds events of one type. */
  readonly type: string;
}

/**
 * One open debounce window: the events of one aggregate and event type held back for one
 * coalesced run. It closes (`onDue`) once the key has had no new event for `quietMs`, or
 * `maxWaitMs` after its first event, whichever comes first. One timer per window, re-armed
 * only when it fires: adding an event to a window costs no timer call (a burst of thousands
 * stays cheap). The timer does not keep a process alive.
 *
 * Pure of Kafka and of the batch loop: the loop decides when to open, add to and close a
 * window, and what its run does with the offsets (`offsets`: every event it stands for,
 * committed only once the run finished).
 */
export class DebounceWindow {
  /** The key scheduler's key of the aggregate (topic and record key). */
  readonly key: string;
  readonly type: string;
  readonly first: KafkaRecord;
  /** The event the run hands to the handler. */
  last: KafkaRecord;
  /** Offsets of every event held, in order (the first and the last included). */
  readonly offsets: bigint[];
  readonly openedAt: number;
  #lastAt: number;
  readonly #quietMs: number;
  readonly #maxWaitMs: number;
  readonly #onDue: (window: DebounceWindow) => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(key: string, rule: DebounceRule, record: KafkaRecord, onDue: (window: DebounceWindow) => void) {
    this.key = key;
    this.type = rule.type;
    this.first = record;
    this.last = record;
    this.offsets = [record.offset];
    this.openedAt = Date.now();
    this.#lastAt = this.openedAt;
    this.#quietMs = rule.quietMs;
    this.#maxWaitMs = rule.maxWaitMs;
    this.#onDue = onDue;
    this.#arm(rule.quietMs);
  }

  /** Events held (what the run will stand for). */
  get count(): number {
    return this.offsets.length;
  }

  /** When the window is due now: quiet since the last event, or held as long as allowed. */
  get dueAt(): number {
    return Math.min(this.#lastAt + this.#quietMs, this.openedAt + this.#maxWaitMs);
  }

  /** Holds one more event of the key: it becomes the last, and the quiet period starts over. */
  add(record: KafkaRecord): void {
    this.last = record;
    this.offsets.push(record.offset);
    this.#lastAt = Date.now();
  }

  /** Stops the timer (the window was closed early, or dropped). */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** What the run stands for, as the handler's context shows it. */
  coalesced(now: number): Coalesced {
    const sequence = headerText(this.first.headers, envelopeHeaders.sequence);
    const firstSequence = sequence === undefined ? Number.NaN : Number(sequence);
    return {
      count: this.offsets.length,
      firstOffset: this.first.offset,
      lastOffset: this.last.offset,
      firstSequence: Number.isSafeInteger(firstSequence) ? firstSequence : undefined,
      heldMs: Math.max(0, now - this.openedAt),
    };
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(() => this.#fire(), Math.max(1, delayMs));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    const wait = this.dueAt - Date.now();
    if (wait > 0) this.#arm(wait);
    else this.#onDue(this);
  }
}

/** The {@link Coalesced} of an event run on its own (no window held it: replay, a null key). */
export function alone(offset: bigint, sequence: number | undefined): Coalesced {
  return { count: 1, firstOffset: offset, lastOffset: offset, firstSequence: sequence, heldMs: 0 };
}
