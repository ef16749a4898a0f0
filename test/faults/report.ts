import type { LedgerTally } from './ledger.ts';
import type { FleetStats } from './sse-fleet.ts';

/** The longest commit → effect wait of one consumer group (or the gateway) in a phase. */
export interface Pause {
  /** Undefined: no event of the phase reached it (or no probe did). */
  ms: number | undefined;
  /**
   * How it was measured: `max commit → <effect>` over every event of the phase (the effect's
   * own timestamp), or `recovery probe` (the suite's recovery time, for a sink that keeps no
   * timestamp per event).
   */
  how: string;
  /**
   * When the event that waited longest committed, from the restore (or the kill, for the faults
   * whose recovery counts from it): tells a stall at the fault from a later one.
   */
  committedAtMs?: number;
}

/** Everything one fault's phase measured (committed events of the phase are the subject). */
export interface PhaseResult {
  fault: string;
  detail: string;
  /** Events committed during the phase (outbox rows of the run). */
  events: number;
  /** Load transactions that failed during the phase (nothing was retried). */
  failedTx: number;
  /** Down before recovery starts counting: the hold, or pg_ctl's restart (0 for supervised processes). */
  downMs: number;
  /** From the restore until every sink showed an event committed after it; undefined: not within the deadline. */
  recoveryMs: number | undefined;
  recoveryBySink: Record<string, number | undefined>;
  /** Per group (and the gateway): the longest pause in commit → effect during the phase. */
  pauses: Record<string, Pause>;
  /** The group protocol each consumer group ran (`classic` or `consumer`), read from the brokers. */
  protocols: Record<string, string>;
  /** From pausing the load until every check passed; undefined: not within the deadline. */
  drainMs: number | undefined;
  kafka: LedgerTally & { orderViolations: number; orderSample: string[] };
  inbox: { missing: number; duplicates: number; sample: string[] };
  email: { missing: number; duplicates: number };
  /** Figures that became wrong in this phase; `carried`: wrong since an earlier phase, unchanged. */
  analytics: { wrong: string[]; uncounted: number; carried: number };
  cache: { stale: number; sample: string[] };
  browser: { missing: number; duplicates: number; sample: string[]; stats: FleetStats };
  /**
   * Duplicates the platform says it absorbed during the phase (gateway, inbox, analytics
   * counters): evidence that the duplicate checks above had duplicates to catch.
   */
  absorbed: Record<string, number>;
  /** Records added to dead-letter topics during the phase, by topic. */
  deadLetters: Record<string, number>;
  lag: Record<string, number>;
  health: Record<string, string>;
  /** What the platform printed during the phase that matters, by shape (see summarizeLogs). */
  logs: string[];
  /** Noteworthy lines in all. */
  logCount: number;
}

/**
 * Why a phase falls short of the issue's target (0 lost, 0 wrong totals, 0 dead letters,
 * 0 duplicates to a browser or an inbox, every component serving within the limit); empty
 * when it meets it. Email duplicates are reported, not failed: the design allows a window.
 */
export function problems(r: PhaseResult, recoveryLimitMs = 60_000): string[] {
  const out: string[] = [];
  const dlq = Object.values(r.deadLetters).reduce((n, x) => n + x, 0);
  if (r.events === 0) out.push('no event committed in the phase');
  if (r.kafka.lost > 0) out.push(`${r.kafka.lost} committed events not on their topic`);
  if (r.kafka.orderViolations > 0) out.push(`${r.kafka.orderViolations} per-aggregate order violations`);
  if (r.inbox.missing > 0) out.push(`${r.inbox.missing} inbox rows missing`);
  if (r.inbox.duplicates > 0) out.push(`${r.inbox.duplicates} duplicate inbox rows`);
  if (r.email.missing > 0) out.push(`${r.email.missing} emails missing`);
  if (r.analytics.uncounted > 0) out.push(`${r.analytics.uncounted} events not counted by analytics`);
  if (r.analytics.wrong.length > 0) out.push(`${r.analytics.wrong.length} wrong analytics totals`);
  if (r.cache.stale > 0) out.push(`${r.cache.stale} aggregates whose cache invalidation is behind`);
  if (r.browser.missing > 0) out.push(`${r.browser.missing} events missing in SSE clients`);
  if (r.browser.duplicates > 0) out.push(`${r.browser.duplicates} duplicate deliveries to SSE clients`);
  if (r.browser.stats.outOfOrder > 0) out.push(`${r.browser.stats.outOfOrder} out-of-order SSE deliveries`);
  if (dlq > 0) out.push(`${dlq} dead letters`);
  // Entries named `<group> <topic>` detail the group's total: counted once.
  for (const [group, lag] of Object.entries(r.lag))
    if (lag > 0 && !group.includes(' ')) out.push(`${group} lag ${lag} at the end`);
  for (const [name, status] of Object.entries(r.health))
    if (status !== 'ok') out.push(`${name} /health ${status} at the end`);
  if (r.recoveryMs === undefined) out.push('did not recover within the deadline');
  else if (r.recoveryMs > recoveryLimitMs)
    out.push(`recovered in ${(r.recoveryMs / 1000).toFixed(1)} s (limit ${recoveryLimitMs / 1000} s)`);
  return out;
}

/** What a child printed, without the supervisor's time and name prefix. */
const body = (text: string) => text.slice(text.indexOf('│ ') + 2);
const crash = /^(exited \(|\s*throw |\s*Emitted 'error'|\s*\w*Error: )/;

/** Whether a line of `npm start`'s output is worth showing in a fault's report. */
export function isNoteworthy(text: string): boolean {
  const b = body(text);
  return /^(WARN|ERROR|FATAL) /.test(b) || crash.test(b);
}

/**
 * The noteworthy lines, grouped by shape (ids and numbers ignored), worst first: restarts and
 * crashes, then errors, then warnings; each shape once with its count and first occurrence.
 */
export function summarizeLogs(lines: readonly { at: number; text: string }[], max = 12): string[] {
  const rank = (t: string) => (crash.test(body(t)) ? 0 : /^(ERROR|FATAL) /.test(body(t)) ? 1 : 2);
  const groups = new Map<string, { at: number; text: string; n: number }>();
  for (const l of lines) {
    if (!isNoteworthy(l.text)) continue;
    const shape = l.text
      .replace(/^\S+ /, '')
      .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>')
      .replace(/\d+/g, '#')
      .slice(0, 140);
    const g = groups.get(shape);
    if (g) g.n++;
    else groups.set(shape, { at: l.at, text: l.text, n: 1 });
  }
  return [...groups.values()]
    .sort((a, b) => rank(a.text) - rank(b.text) || a.at - b.at)
    .slice(0, max)
    .map((g) => `${new Date(g.at).toISOString().slice(11, 23)} ×${g.n} ${g.text.slice(0, 300)}`);
}

const seconds = (ms: number | undefined) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);

function committedAt(p: Pause): string {
  if (p.committedAtMs === undefined) return '';
  const s = (Math.abs(p.committedAtMs) / 1000).toFixed(1);
  return p.committedAtMs < 0 ? `, committed ${s} s before the fault` : `, committed ${s} s after it`;
}

/** The worst of a phase's pauses, with whose it is: `12.3 s notifications`. */
export function longestPause(r: PhaseResult): string {
  const worst = Object.entries(r.pauses)
    .filter((e): e is [string, Pause & { ms: number }] => e[1].ms !== undefined)
    .sort((a, b) => b[1].ms - a[1].ms)[0];
  return worst ? `${seconds(worst[1].ms)} ${worst[0]}` : '-';
}

/** The table per fault, as the suite prints it. */
export function table(results: readonly PhaseResult[], recoveryLimitMs = 60_000): string {
  const head = [
    'fault',
    'events',
    'lost',
    'order',
    'dup browser',
    'dup inbox',
    'dup email',
    'missing browser/inbox',
    'wrong totals',
    'dead letters',
    'recovery',
    'longest pause',
    'verdict',
  ];
  const rows = results.map((r) => [
    r.fault,
    String(r.events),
    String(r.kafka.lost),
    String(r.kafka.orderViolations),
    String(r.browser.duplicates),
    String(r.inbox.duplicates),
    String(r.email.duplicates),
    `${r.browser.missing}/${r.inbox.missing}`,
    String(r.analytics.wrong.length + r.analytics.uncounted),
    String(Object.values(r.deadLetters).reduce((n, x) => n + x, 0)),
    seconds(r.recoveryMs),
    longestPause(r),
    problems(r, recoveryLimitMs).length === 0 ? 'pass' : 'FAIL',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The details under the table: per phase, what failed, recovery per sink, SSE counters, logs. */
export function details(r: PhaseResult, recoveryLimitMs = 60_000): string {
  const s = r.browser.stats;
  const sinks = Object.entries(r.recoveryBySink)
    .map(([k, v]) => `${k} ${seconds(v)}`)
    .join(', ');
  const lines = [
    `## ${r.fault}: ${r.detail}`,
    `  events ${r.events} committed, ${r.failedTx} transactions failed; down ${seconds(r.downMs)}; caught up ${seconds(r.drainMs)} after the load paused`,
    `  recovery per sink (from the restore): ${sinks}`,
    `  longest pause commit → effect: ${Object.entries(r.pauses)
      .map(([k, p]) => `${k} ${seconds(p.ms)} (${p.how}${committedAt(p)})`)
      .join(', ')}; group protocol: ${Object.entries(r.protocols)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    ...(r.analytics.carried > 0
      ? [`  analytics: ${r.analytics.carried} figures still wrong from earlier phases (unchanged here)`]
      : []),
    `  kafka: ${r.kafka.copies} extra copies on the topics (at-least-once capture); absorbed by the platform: ${JSON.stringify(r.absorbed)}; lost ${r.kafka.lost}${r.kafka.lostSample.length ? ` e.g. ${r.kafka.lostSample.join(', ')}` : ''}`,
    `  browsers: ${s.events} deliveries, ${s.repeated} repeated, ${s.gaps} sequence gaps, ${s.resets} resets ${JSON.stringify(s.resetReasons)}, ${s.disconnects} disconnect events, ${s.reconnects} reconnects, ${s.failovers} failovers to another node, ${s.gaveUp} EventSources gave up ${JSON.stringify(s.gaveUpStatuses)}`,
    `  lag at the end: ${JSON.stringify(r.lag)}; health: ${JSON.stringify(r.health)}`,
  ];
  const p = problems(r, recoveryLimitMs);
  if (p.length > 0) lines.push(`  FAILED: ${p.join('; ')}`);
  for (const x of [
    ...r.kafka.orderSample,
    ...r.inbox.sample,
    ...r.browser.sample.map((x) => `browser missing ${x}`),
    ...r.cache.sample,
    ...r.analytics.wrong.slice(0, 5),
  ])
    lines.push(`    ${x}`);
  for (const [topic, n] of Object.entries(r.deadLetters))
    if (n > 0) lines.push(`    dead letters: ${topic} +${n}`);
  if (r.logCount > 0) {
    lines.push(`  platform log: ${r.logCount} WARN/ERROR/crash/restart lines; by kind, worst first:`);
    for (const l of r.logs) lines.push(`    ${l}`);
  }
  return lines.join('\n');
}
