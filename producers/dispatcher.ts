import pg from 'pg';
import type { Logger } from 'pino';
import { isPostgresUnavailable } from '../core/db.ts';
import {
  type ClaimOutcome,
  type DispatchTiming,
  defaultDispatchTiming,
  parseDueNotification,
  sleepAfterClaim,
} from './dispatch-timing.ts';
import { insertOutboxRows, type OutboxRow } from './outbox-rows.ts';

/** The LISTEN channel the migration 008 trigger notifies with each new earliest due time. */
export const scheduledEventsChannel = 'outstream_scheduled_events';

/** How a database outage is waited out: the first delay, doubling up to the cap. */
export interface DispatcherBackoff {
  initialDelayMs: number;
  maxDelayMs: number;
}

/** Options of {@link createDispatcher}. */
export interface DispatcherOptions {
  /** Claims run on this pool (one connection at a time). */
  pool: pg.Pool;
  /** Where the LISTEN connection goes (a connection of its own, outside the pool). */
  databaseUrl: string;
  logger: Logger;
  /** Most events published per transaction (default 500). */
  batchSize?: number;
  timing?: Partial<DispatchTiming>;
  /** Default: 0.2 s doubling up to 10 s. */
  backoff?: DispatcherBackoff;
  /** Keep the outbox rows (as `createEmitter({ retainRows })`); default false. */
  retainRows?: boolean;
}

/** What `/health` shows of a dispatcher. */
export interface DispatcherStatus {
  state: 'starting' | 'running' | 'stopping' | 'stopped';
  /** Set while an outage is waited out: what failed, since when, how many attempts. */
  degraded?: { reason: string; since: string; attempts: number };
  /** Whether notifications of new schedules are heard (else it polls every `unlistenedRecheckMs`). */
  listening: boolean;
  published: number;
  lastPublishedAt: string | null;
  /** When the next pending event is due, as of the last claim. */
  nextDueAt: string | null;
}

/** A running dispatcher. */
export interface Dispatcher {
  /** Starts the loop and the LISTEN connection; resolves at once (an outage is waited out inside). */
  start(): void;
  /** Finishes the claim in progress, stops, and closes the LISTEN connection (not the pool). */
  stop(): Promise<void>;
  status(): DispatcherStatus;
}

interface DueRow {
  event_id: string;
  aggregate_type: string;
  aggregate_id: string;
  event_type: string;
  actor: string | null;
  traceparent: string | null;
  tracestate: string | null;
  payload: Buffer;
}

// SQLSTATEs of a transaction that lost a race, not of a broken one: try again at once.
const transientStates = new Set(['40001', '40P01']);

/**
 * The scheduled-events dispatcher: publishes due `scheduled_events` rows through the outbox.
 * Each claim is one transaction — take due rows with `FOR UPDATE SKIP LOCKED` (other
 * dispatchers skip them), insert their outbox rows with each aggregate's next sequence number,
 * delete them, commit — so any number of dispatchers can run, none publishes an event twice,
 * and a crash before the commit leaves the rows due for the next claim.
 *
 * Between claims it sleeps until the next due time, woken earlier by the trigger's
 * notification when an earlier event is scheduled, and re-checks at least every
 * `idleRecheckMs` (every `unlistenedRecheckMs` while the LISTEN connection is down). A
 * database outage is waited out with capped backoff and shown in `status().degraded`.
 *
 * Deadlock avoidance: a service transaction that emitted on an aggregate holds its sequence
 * row and may then reschedule or cancel that aggregate's due event, whose row a claim holds.
 * A claim therefore never waits for a sequence row: `FOR UPDATE SKIP LOCKED` on them, and the
 * events of an aggregate another transaction holds stay due for a retry `busyRetryMs` later.
 */
export function createDispatcher(o: DispatcherOptions): Dispatcher {
  const batchSize = o.batchSize ?? 500;
  const timing: DispatchTiming = { ...defaultDispatchTiming, ...o.timing };
  const backoff = o.backoff ?? { initialDelayMs: 200, maxDelayMs: 10_000 };
  const log = o.logger;
  let state: DispatcherStatus['state'] = 'starting';
  let degraded: DispatcherStatus['degraded'];
  let published = 0;
  let lastPublishedAt: Date | null = null;
  let nextDueAt: Date | null = null;
  let listener: pg.Client | undefined;
  let listening = false;
  let loop: Promise<void> | undefined;
  let listenLoop: Promise<void> | undefined;
  // The earliest due time notified since the current claim began: its sleep must not pass it.
  let notifiedDue: number | undefined;
  let wakeSleeper: (() => void) | undefined;
  let sleepUntil = Number.POSITIVE_INFINITY;

  const stopping = () => state === 'stopping' || state === 'stopped';

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      sleepUntil = Date.now() + ms;
      const done = () => {
        clearTimeout(timer);
        wakeSleeper = undefined;
        sleepUntil = Number.POSITIVE_INFINITY;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakeSleeper = done;
    });
  }

  function onDue(dueMs: number) {
    notifiedDue = notifiedDue === undefined ? dueMs : Math.min(notifiedDue, dueMs);
    if (dueMs >= sleepUntil || !wakeSleeper) return;
    const wait = dueMs - Date.now();
    if (wait <= 0) wakeSleeper();
    else {
      // Re-arm: a shorter sleep that ends at the new due time.
      const wake = wakeSleeper;
      sleepUntil = dueMs;
      setTimeout(() => {
        if (wakeSleeper === wake) wake();
      }, wait);
    }
  }

  async function claim(): Promise<ClaimOutcome> {
    notifiedDue = undefined;
    const client = await o.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const { rows: due } = await client.query<DueRow>({
        name: 'outstream_dispatch_claim',
        text: `SELECT event_id, aggregate_type, aggregate_id, event_type, actor, traceparent, tracestate, payload
               FROM scheduled_events WHERE due_at <= clock_timestamp()
               ORDER BY due_at, event_id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        values: [batchSize],
      });
      const busy = due.length > 0 ? await busyAggregates(client, due) : new Set<string>();
      const ready = due.filter((r) => !busy.has(aggregateKey(r)));
      if (ready.length > 0) {
        const ids = ready.map((r) => r.event_id);
        await client.query({
          name: 'outstream_dispatch_delete',
          text: 'DELETE FROM scheduled_events WHERE event_id = ANY($1::uuid[])',
          values: [ids],
        });
        const now = new Date();
        await insertOutboxRows(
          client,
          ready.map((r) => toRow(r, now)),
          o.retainRows ?? false,
        );
      }
      // The next pending event, claimed by another dispatcher or not: one that is due but held
      // is looked at again shortly (published by its holder, or released by the holder's crash).
      const { rows: next } = await client.query<{ ms: number; due_at: Date }>({
        name: 'outstream_dispatch_next',
        text: `SELECT due_at, extract(epoch FROM due_at - clock_timestamp())::float8 * 1000 AS ms
               FROM scheduled_events ORDER BY due_at, event_id LIMIT 1`,
      });
      await client.query('COMMIT');
      if (ready.length > 0) {
        published += ready.length;
        lastPublishedAt = new Date();
      }
      nextDueAt = next[0]?.due_at ?? null;
      let msUntilNextDue = next[0] === undefined ? null : next[0].ms;
      if (notifiedDue !== undefined) {
        const notified = notifiedDue - Date.now();
        msUntilNextDue = msUntilNextDue === null ? notified : Math.min(msUntilNextDue, notified);
      }
      return { published: ready.length, full: due.length === batchSize, busy: busy.size > 0, msUntilNextDue };
    } catch (e) {
      broken = e as Error;
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      // A connection the failure broke goes, instead of back into the pool.
      client.release(broken !== undefined && isPostgresUnavailable(broken) ? broken : undefined);
    }
  }

  async function run() {
    let attempts = 0;
    while (!stopping()) {
      let delay: number;
      try {
        const outcome = await claim();
        if (degraded) log.info({ after: degraded }, 'scheduled events: database reachable again');
        degraded = undefined;
        attempts = 0;
        delay = sleepAfterClaim(outcome, timing, listening);
      } catch (e) {
        if (transientStates.has((e as { code?: string }).code ?? '')) continue;
        attempts++;
        const reason = e instanceof Error ? e.message : String(e);
        delay = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** (attempts - 1));
        degraded = { reason, since: degraded?.since ?? new Date().toISOString(), attempts };
        // Unavailable: an outage to wait out. Anything else is unexpected, and logged louder;
        // both are retried, since the rows stay due and the next claim may well succeed.
        const level = isPostgresUnavailable(e) ? 'warn' : 'error';
        if (attempts === 1 || attempts % 10 === 0)
          log[level]({ err: e, attempts, retryInMs: delay }, 'scheduled events: claim failed; retrying');
      }
      if (delay > 0 && !stopping()) await sleep(delay);
    }
  }

  async function listen() {
    let attempts = 0;
    while (!stopping()) {
      const client = new pg.Client({ connectionString: o.databaseUrl, keepAlive: true });
      const ended = new Promise<void>((resolve) => {
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
      client.on('notification', (n) => {
        if (n.channel !== scheduledEventsChannel) return;
        const due = parseDueNotification(n.payload);
        if (due !== undefined) onDue(due);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${scheduledEventsChannel}`);
        listener = client;
        listening = true;
        attempts = 0;
        // Anything scheduled while not listening: the claim after this wake-up sees it.
        onDue(Date.now());
        await ended;
      } catch (e) {
        if (!stopping() && (attempts === 0 || attempts % 10 === 9))
          log.warn({ err: e }, 'scheduled events: LISTEN connection failed; polling until it is back');
      }
      listening = false;
      listener = undefined;
      await client.end().catch(() => {});
      if (stopping()) return;
      attempts++;
      await new Promise((r) =>
        setTimeout(r, Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** attempts)),
      );
    }
  }

  return {
    start() {
      if (loop) return;
      state = 'running';
      loop = run();
      listenLoop = listen();
    },
    async stop() {
      if (state === 'stopped') return;
      state = 'stopping';
      wakeSleeper?.();
      await listener?.end().catch(() => {});
      await Promise.all([loop, listenLoop]);
      state = 'stopped';
    },
    status: () => ({
      state,
      ...(degraded ? { degraded } : {}),
      listening,
      published,
      lastPublishedAt: lastPublishedAt?.toISOString() ?? null,
      nextDueAt: nextDueAt?.toISOString() ?? null,
    }),
  };
}

const aggregateKey = (r: { aggregate_type: string; aggregate_id: string }) =>
  `${r.aggregate_type}\u0000${r.aggregate_id}`;

/**
 * The aggregates among `due` whose sequence row another transaction holds: locking them would
 * wait (and could deadlock with a service that holds one and reschedules). The rest are
 * locked here, for this claim.
 */
async function busyAggregates(client: pg.PoolClient, due: DueRow[]): Promise<Set<string>> {
  const keys = [...new Map(due.map((r) => [aggregateKey(r), r])).values()];
  const values = [keys.map((k) => k.aggregate_type), keys.map((k) => k.aggregate_id)];
  const { rows: locked } = await client.query<{ aggregate_type: string; aggregate_id: string }>({
    name: 'outstream_dispatch_lock_sequences',
    text: `SELECT s.aggregate_type, s.aggregate_id FROM outbox_sequences s
           JOIN unnest($1::text[], $2::text[]) AS k(aggregate_type, aggregate_id) USING (aggregate_type, aggregate_id)
           FOR UPDATE OF s SKIP LOCKED`,
    values,
  });
  const { rows: existing } = await client.query<{ aggregate_type: string; aggregate_id: string }>({
    name: 'outstream_dispatch_sequences',
    text: `SELECT s.aggregate_type, s.aggregate_id FROM outbox_sequences s
           JOIN unnest($1::text[], $2::text[]) AS k(aggregate_type, aggregate_id) USING (aggregate_type, aggregate_id)`,
    values,
  });
  const mine = new Set(locked.map(aggregateKey));
  return new Set(existing.map(aggregateKey).filter((k) => !mine.has(k)));
}

function toRow(r: DueRow, occurredAt: Date): OutboxRow {
  return {
    eventId: r.event_id,
    aggregateType: r.aggregate_type,
    aggregateId: r.aggregate_id,
    eventType: r.event_type,
    // A scheduled event occurs when it is published: occurred-at follows the sequence order.
    occurredAt,
    actor: r.actor,
    traceparent: r.traceparent,
    tracestate: r.tracestate,
    payload: r.payload,
  };
}
