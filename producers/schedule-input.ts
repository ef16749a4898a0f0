import type { FieldIssue } from '../core/errors.ts';
import type { OutboxEventType } from '../schemas/index.ts';
import type { EmitInput } from './envelope.ts';

/**
 * What a service passes to `schedule()`: an event as for `emit()`, without `occurredAt` (a
 * scheduled event occurs when it is published) and without `idempotencyKey` (a schedule's
 * `key` replaces it: scheduling again with the same key replaces the pending schedule).
 */
export type ScheduleInput<K extends OutboxEventType = OutboxEventType> = Omit<
  EmitInput<K>,
  'occurredAt' | 'idempotencyKey'
>;

/** When a scheduled event is due: at a time, or after a delay in milliseconds from now. */
export type ScheduleWhen = { at: Date; in?: never } | { in: number; at?: never };

/** Options of `schedule()`. */
export interface ScheduleOptions {
  /**
   * Makes the schedule replaceable and cancellable: scheduling again with the same key
   * replaces the pending one (event, time and all); `cancelScheduled(tx, key)` removes it.
   * Once published, the key is free again. At most 255 characters.
   */
  key?: string;
}

/** One item of `scheduleMany()`: an event, when it is due, and optionally its key. */
export interface ScheduleItem<K extends OutboxEventType = OutboxEventType> {
  event: ScheduleInput<K>;
  when: ScheduleWhen;
  /** As `schedule()`'s `options.key`; unique within one `scheduleMany()` call. */
  key?: string;
}

/** Any one item of `scheduleMany()`: the union over every outbox event type. */
export type AnyScheduleItem = { [K in OutboxEventType]: ScheduleItem<K> }[OutboxEventType];

/** The latest due time accepted: the end of year 9999 (what PostgreSQL and ISO-8601 both print). */
export const latestDueAt = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** The earliest due time accepted: the epoch (any past time is due at once anyway). */
export const earliestDueAt = 0;
/** The longest schedule key. */
export const maxScheduleKeyLength = 255;

/** A schedule's due time as the database should compute it: an absolute time, or a delay from its clock. */
export type DueSpec = { at: Date } | { inMs: number };

/**
 * Checks `when` and the options; returns the due time to write, or every issue (paths
 * `when`, `when.at`, `when.in`, `options.key`).
 *
 * @example
 * checkSchedule({ in: 60_000 }, { key: 'reminder:b1' }, Date.now()); // { due: { inMs: 60000 }, issues: [] }
 */
export function checkSchedule(
  when: unknown,
  options: unknown,
  now: number,
): { due: DueSpec | undefined; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  let due: DueSpec | undefined;
  const w = (typeof when === 'object' && when !== null ? when : {}) as { at?: unknown; in?: unknown };
  const hasAt = w.at !== undefined;
  const hasIn = w.in !== undefined;
  if (hasAt === hasIn) {
    issues.push({
      path: 'when',
      expected: 'exactly one of { at: Date } or { in: milliseconds }',
      received: hasAt ? 'both' : render(when),
    });
  } else if (hasAt) {
    const at = w.at;
    if (!(at instanceof Date) || Number.isNaN(+at) || +at < earliestDueAt || +at > latestDueAt) {
      issues.push({
        path: 'when.at',
        expected: 'a valid Date between 1970-01-01 and 9999-12-31',
        received: render(at),
      });
    } else due = { at };
  } else {
    const ms = w.in;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || now + ms > latestDueAt) {
      issues.push({
        path: 'when.in',
        expected: 'a finite number of milliseconds ≥ 0 (0 = due now) ending before year 10000',
        received: render(ms),
      });
    } else due = { inMs: ms };
  }
  const key = (options as { key?: unknown } | undefined)?.key;
  if (key !== undefined && !isScheduleKey(key)) issues.push(keyIssue(key));
  return { due: issues.length === 0 ? due : undefined, issues };
}

/**
 * Keys used more than once in one `scheduleMany()` call (PostgreSQL cannot replace one pending
 * schedule twice in a statement, and which of the two should win is the caller's to say): one
 * issue per repeated use, at `[i].key`, naming the first use.
 *
 * @example
 * duplicateKeys(['a', undefined, 'a']);
 * // [{ index: 2, issue: { path: '[2].key', expected: 'a key used once per scheduleMany call (first at [0])', received: '"a"' } }]
 */
export function duplicateKeys(keys: readonly unknown[]): { index: number; issue: FieldIssue }[] {
  const first = new Map<string, number>();
  const out: { index: number; issue: FieldIssue }[] = [];
  keys.forEach((key, index) => {
    if (typeof key !== 'string') return;
    const at = first.get(key);
    if (at === undefined) first.set(key, index);
    else {
      out.push({
        index,
        issue: {
          path: `[${index}].key`,
          expected: `a key used once per scheduleMany call (first at [${at}])`,
          received: render(key),
        },
      });
    }
  });
  return out;
}

/** True for a usable schedule key: a non-empty string of at most 255 characters without NUL. */
export function isScheduleKey(key: unknown): key is string {
  return (
    typeof key === 'string' && key.length > 0 && key.length <= maxScheduleKeyLength && !key.includes('\u0000')
  );
}

/** The issue naming a bad schedule key. */
export function keyIssue(key: unknown, path = 'options.key'): FieldIssue {
  return {
    path,
    expected: `non-empty string of at most ${maxScheduleKeyLength} characters, without NUL`,
    received: render(key),
  };
}

function render(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value instanceof Date) return Number.isNaN(+value) ? 'Invalid Date' : value.toISOString();
  if (typeof value !== 'string' && typeof value !== 'object') return String(value);
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
