import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../../core/wait.ts';
import {
  type CommittedEvent,
  channelsOf,
  emailsOf,
  expectedTotals,
  inboxRecipients,
  newGaps,
  type TotalsGap,
  totalsGaps,
} from './expect.ts';
import type { Fault, FaultContext } from './faults.ts';
import type { Ledger } from './ledger.ts';
import type { Load } from './load-control.ts';
import { type Platform, roleOf } from './platform.ts';
import { isNoteworthy, type Pause, type PhaseResult, summarizeLogs } from './report.ts';
import { envelopeOf, type Witness } from './witness.ts';

/** Everything a phase works with; built once per run (test/faults/suite.ts). */
export interface World extends FaultContext {
  platform: Platform;
  witness: Witness;
  load: Load;
  ledger: Ledger;
  actor: string;
  hotels: string[];
  staffOf: Map<string, string[]>;
  /** Events committed before the fault, and again after recovery, in each phase. */
  eventsAround: number;
  recoveryTimeoutMs: number;
  drainTimeoutMs: number;
  /** Analytics figures already wrong at the end of the previous phase (not blamed on the next). */
  gaps: Map<string, TotalsGap>;
}

/** Duplicates the platform reports it absorbed: process and metric. */
const absorbers = [
  ['realtime', 'outstream_sse_duplicates_dropped_total'],
  ['notifications', 'outstream_notifications_inbox_duplicates_total'],
  ['analytics', 'outstream_analytics_duplicates_total'],
] as const;

/** Each absorber's counter now, summed over the role's processes (a restarted one starts again from 0). */
async function absorbed(w: World): Promise<number[]> {
  return Promise.all(
    absorbers.map(async ([role, m]) => {
      const own = w.platform.processes.filter((p) => roleOf(p) === role);
      const counts = await Promise.all(own.map(async (p) => (await w.platform.metric(p, m)) ?? 0));
      return counts.reduce((n, x) => n + x, 0);
    }),
  );
}

/**
 * Per group (and the gateway), the longest wait from an event's commit (the load's clock) to
 * its effect (the effect's own timestamp) among the phase's events; the cache group keeps no
 * timestamp per event, so its figure is the recovery probe's.
 */
async function longestPauses(
  w: World,
  mine: readonly CommittedEvent[],
  bySink: Record<string, number | undefined>,
  restoredAt: number,
): Promise<Record<string, Pause>> {
  const ids = new Set(mine.map((e) => e.id));
  const commits: Record<string, number> = {};
  for (const c of w.load.commits) if (ids.has(c[0])) commits[c[0]] = c[4];
  const effects = await w.witness.effectsOf(Object.keys(commits));
  const worst = (effect: 'inbox' | 'analytics', how: string): Pause => {
    let ms: number | undefined;
    let id: string | undefined;
    for (const [eventId, e] of effects) {
      const at = e[effect];
      const committed = commits[eventId];
      if (at !== undefined && committed !== undefined && at - committed > (ms ?? -1)) {
        ms = at - committed;
        id = eventId;
      }
    }
    return { ms, how, committedAtMs: id === undefined ? undefined : commits[id]! - restoredAt };
  };
  const browsers = await w.fleet.lateness(commits);
  return {
    notifications: worst('inbox', 'max commit → inbox row'),
    'cache-invalidation': { ms: bySink.cache, how: 'recovery probe' },
    analytics: worst('analytics', 'max commit → counted_at'),
    realtime: browsers.id
      ? { ms: browsers.ms, how: 'max commit → SSE client', committedAtMs: commits[browsers.id]! - restoredAt }
      : { ms: undefined, how: 'max commit → SSE client' },
  };
}

/** Reads the topics up to their ends into the ledger; `onEvent` sees each record's envelope. */
export async function syncKafka(w: World, onEvent?: (eventId: string, timestamp: number) => void) {
  await w.witness.readTopics((r) => {
    const env = envelopeOf(r);
    if (!env) return;
    w.ledger.add([env]);
    onEvent?.(env.eventId, r.timestamp);
  });
}

type Inspection = Omit<
  PhaseResult,
  | 'fault'
  | 'detail'
  | 'failedTx'
  | 'downMs'
  | 'recoveryMs'
  | 'recoveryBySink'
  | 'pauses'
  | 'protocols'
  | 'drainMs'
  | 'logs'
  | 'logCount'
  | 'absorbed'
  | 'browser'
> & { browser: Omit<PhaseResult['browser'], 'stats'>; gaps: Map<string, TotalsGap> };

/** One full set of independent reads about the phase's events (and the run's totals). */
async function inspect(w: World, mine: CommittedEvent[], all: CommittedEvent[]): Promise<Inspection> {
  await syncKafka(w);
  const ids = mine.map((e) => e.id);
  const rows = await w.witness.inboxRows(ids);
  const inbox = { missing: 0, duplicates: 0, sample: [] as string[] };
  for (const e of mine) {
    for (const who of inboxRecipients(e, w.staffOf)) {
      const n = rows.get(`${e.id}/${who}`) ?? 0;
      if (n === 0 && inbox.sample.length < 3) inbox.sample.push(`inbox missing ${e.type} ${e.id} for ${who}`);
      if (n === 0) inbox.missing++;
      else inbox.duplicates += n - 1;
    }
  }
  const mails = w.witness.emails();
  const email = { missing: 0, duplicates: 0 };
  for (const e of mine) {
    const want = emailsOf(e);
    const got = mails.get(e.id) ?? 0;
    if (got < want) email.missing += want - got;
    else email.duplicates += got - want;
  }
  const gaps = totalsGaps(expectedTotals(all), await w.witness.totals(w.hotels));
  const wrong = newGaps(gaps, w.gaps);
  const carried = [...gaps].filter(([k, g]) => w.gaps.get(k)?.gap === g.gap).length;
  const uncounted = ids.length - (await w.witness.counted(ids));
  // The cache group must have applied every aggregate's latest sequence.
  const latest = new Map<string, { type: string; id: string; seq: number }>();
  for (const e of all) {
    const k = `${e.aggregateType}:${e.aggregateId}`;
    if (e.sequence > (latest.get(k)?.seq ?? 0))
      latest.set(k, { type: e.aggregateType, id: e.aggregateId, seq: e.sequence });
  }
  const touched = [...new Set(mine.map((e) => `${e.aggregateType}:${e.aggregateId}`))].map(
    (k) => latest.get(k)!,
  );
  const applied = await w.witness.cacheSequences(touched);
  const cache = { stale: 0, sample: [] as string[] };
  touched.forEach((a, i) => {
    if (applied[i] === a.seq) return;
    cache.stale++;
    if (cache.sample.length < 3)
      cache.sample.push(`cache ${a.type}:${a.id} at ${applied[i]}, latest ${a.seq}`);
  });
  const expected: Record<string, string[]> = {};
  for (const e of mine) {
    for (const ch of channelsOf(e)) {
      expected[ch] ??= [];
      expected[ch].push(e.id);
    }
  }
  const browser = await w.fleet.check(expected);
  return {
    events: mine.length,
    kafka: { ...w.ledger.tally(ids), orderViolations: 0, orderSample: [] },
    inbox,
    email,
    analytics: { wrong, uncounted, carried },
    gaps,
    cache,
    browser,
    deadLetters: await w.witness.deadLetters(),
    lag: await w.witness.lag(),
    health: await w.platform.health(),
  };
}

function complete(i: Inspection): boolean {
  return (
    i.kafka.lost === 0 &&
    i.inbox.missing === 0 &&
    i.email.missing === 0 &&
    i.analytics.wrong.length === 0 &&
    i.analytics.uncounted === 0 &&
    i.cache.stale === 0 &&
    i.browser.missing === 0 &&
    Object.values(i.lag).every((n) => n === 0)
  );
}

/**
 * From the restore until every sink shows the first booking confirmation committed after it,
 * each at the time the sink itself recorded when it can say (Kafka's record timestamp, the
 * inbox row's and analytics' counted_at; the SSE clients' arrival), else when it was seen.
 */
async function recovery(w: World, restoredAt: number): Promise<Record<string, number | undefined>> {
  const deadline = restoredAt + w.recoveryTimeoutMs;
  const at: Record<string, number | undefined> = {
    kafka: undefined,
    inbox: undefined,
    analytics: undefined,
    cache: undefined,
    browsers: undefined,
    health: undefined,
  };
  const probe = await waitFor(
    () => w.load.commits.find((c) => c[1] === 'booking.confirmed' && c[4] >= restoredAt),
    {
      timeoutMs: w.recoveryTimeoutMs,
      intervalMs: 100,
      what: 'a booking confirmation committed after the restore',
    },
  ).catch(() => undefined);
  if (!probe) return { ...at, load: undefined };
  const [id, , aggregateId, hotelId] = probe;
  const seqRow = await waitFor(
    async () => (await w.witness.pool.query('SELECT sequence FROM outbox WHERE event_id = $1', [id])).rows[0],
    { timeoutMs: w.recoveryTimeoutMs, what: 'the probe in the outbox' },
  );
  const sequence = Number(seqRow.sequence);
  const attempt = async (sink: string, f: () => Promise<number | undefined>) => {
    if (at[sink] !== undefined) return;
    at[sink] = await f().catch(() => undefined);
  };
  while (Date.now() < deadline && Object.values(at).some((v) => v === undefined)) {
    await attempt('kafka', async () => {
      let ts: number | undefined;
      await syncKafka(w, (eventId, t) => {
        if (eventId === id) ts = t;
      });
      return ts ?? (w.ledger.has(id) ? Date.now() : undefined);
    });
    const effects = await w.witness
      .effectTimes(id)
      .catch(() => ({}) as { inbox?: number; analytics?: number });
    await attempt('inbox', async () => effects.inbox);
    await attempt('analytics', async () => effects.analytics);
    await attempt('cache', async () => {
      const [seq] = await w.witness.cacheSequences([{ type: 'booking', id: aggregateId }]);
      return (seq ?? 0) >= sequence ? Date.now() : undefined;
    });
    await attempt('browsers', async () => {
      const s = await w.fleet.seen(id, `hotel:${hotelId}`);
      return s.got === s.expected ? s.lastAt : undefined;
    });
    await attempt('health', async () =>
      Object.values(await w.platform.health()).every((s) => s === 'ok') ? Date.now() : undefined,
    );
    await sleep(250);
  }
  return Object.fromEntries(
    Object.entries(at).map(([k, v]) => [k, v === undefined ? undefined : Math.max(0, v - restoredAt)]),
  );
}

/**
 * One phase: load before the fault, the fault, recovery, load after it; then the load pauses,
 * the platform catches up (within the deadline) and everything is read back independently.
 */
export async function runPhase(w: World, fault: Fault, phase: number): Promise<PhaseResult> {
  const begun = Date.now();
  const failedBefore = w.load.failures();
  const dlqBefore = await w.witness.deadLetters();
  const violationsBefore = w.ledger.violations().length;
  const absorbedBefore = await absorbed(w);
  w.load.go();
  await w.load.more(w.eventsAround, 120_000);
  const injected = await fault.inject(w);
  const bySink = await recovery(w, injected.restoredAt);
  const values = Object.values(bySink);
  const recoveryMs = values.some((v) => v === undefined) ? undefined : Math.max(...(values as number[]));
  await w.load.more(w.eventsAround, 120_000).catch(() => {});
  const later = await injected.settled;
  await w.load.pause();
  const paused = Date.now();
  const all = await waitFor(() => w.witness.committed(w.actor, phase), {
    timeoutMs: 60_000,
    what: 'the outbox rows of the run',
  });
  const mine = all.filter((e) => e.phase === phase);
  let last: Inspection | undefined;
  const caughtUp = await waitFor(
    async () => {
      last = await inspect(w, mine, all);
      return complete(last);
    },
    { timeoutMs: w.drainTimeoutMs, intervalMs: 1_000, what: 'the platform to catch up' },
  ).then(
    () => Date.now() - paused,
    () => undefined,
  );
  last ??= await inspect(w, mine, all);
  w.gaps = last.gaps;
  const absorbedAfter = await absorbed(w);
  const dropped = Object.fromEntries(
    absorbers.map(([p], i) => {
      const [a, b] = [absorbedBefore[i]!, absorbedAfter[i]!];
      return [p, b >= a ? b - a : b];
    }),
  );
  const { gaps: _, ...inspected } = last;
  const violations = w.ledger.violations().slice(violationsBefore);
  const dead = Object.fromEntries(
    Object.entries(last.deadLetters).map(([t, n]) => [t, n - (dlqBefore[t] ?? 0)]),
  );
  const lines = w.platform.lines(begun);
  return {
    ...inspected,
    fault: fault.name,
    detail: later ? `${injected.detail}; ${later}` : injected.detail,
    failedTx: w.load.failures() - failedBefore,
    downMs: injected.downMs,
    recoveryMs,
    recoveryBySink: bySink,
    pauses: await longestPauses(w, mine, bySink, injected.restoredAt),
    protocols: await w.witness.protocols().catch(() => ({})),
    drainMs: caughtUp,
    kafka: { ...inspected.kafka, orderViolations: violations.length, orderSample: violations.slice(0, 5) },
    browser: { ...inspected.browser, stats: (await w.fleet.stats()).stats },
    deadLetters: dead,
    absorbed: dropped,
    logs: summarizeLogs(lines),
    logCount: lines.filter((l) => isNoteworthy(l.text)).length,
  };
}
