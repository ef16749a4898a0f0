import { describe, expect, it } from 'vitest';
import { details, type PhaseResult, problems, summarizeLogs, table } from './report.ts';
import { blankStats } from './sse-fleet.ts';

const clean: PhaseResult = {
  fault: 'kill -9 Connect',
  detail: '',
  events: 100,
  failedTx: 0,
  downMs: 5_000,
  recoveryMs: 12_000,
  recoveryBySink: { kafka: 12_000 },
  pauses: {
    notifications: { ms: 9_500, how: 'max commit → inbox row' },
    'cache-invalidation': { ms: 12_000, how: 'recovery probe' },
  },
  protocols: { notifications: 'classic' },
  drainMs: 1_000,
  kafka: { lost: 0, lostSample: [], copies: 40, orderViolations: 0, orderSample: [] },
  inbox: { missing: 0, duplicates: 0, sample: [] },
  email: { missing: 0, duplicates: 1 },
  analytics: { wrong: [], uncounted: 0, carried: 0 },
  cache: { stale: 0, sample: [] },
  browser: {
    missing: 0,
    duplicates: 0,
    sample: [],
    stats: { ...blankStats(), events: 300 },
  },
  absorbed: { realtime: 40 },
  deadLetters: { 'events.booking.dlq.analytics': 0 },
  lag: { notifications: 0, 'notifications events.booking': 0 },
  health: { notifications: 'ok' },
  logs: [],
  logCount: 0,
};

describe('the verdict of a fault', () => {
  it('passes with copies on Kafka and an email sent twice (at-least-once where the design allows it)', () => {
    expect(problems(clean)).toEqual([]);
    expect(table([clean])).toContain('| pass');
    expect(table([clean])).toContain('| 12.0 s cache-invalidation |');
  });

  it('names every shortfall of the target', () => {
    const bad: PhaseResult = {
      ...clean,
      recoveryMs: 75_000,
      kafka: { ...clean.kafka, lost: 2 },
      browser: { ...clean.browser, duplicates: 3 },
      deadLetters: { 'events.booking.dlq.analytics': 4 },
      lag: { notifications: 7, 'notifications events.booking': 7 },
      health: { notifications: 'degraded' },
    };
    expect(problems(bad)).toEqual([
      '2 committed events not on their topic',
      '3 duplicate deliveries to SSE clients',
      '4 dead letters',
      'notifications lag 7 at the end',
      'notifications /health degraded at the end',
      'recovered in 75.0 s (limit 60 s)',
    ]);
    expect(table([bad])).toContain('| FAIL');
  });
});

describe('the platform log of a phase', () => {
  it('shows each kind of line once, crashes and restarts first, with how often it came', () => {
    const at = Date.parse('2026-11-30T06:15:17.000Z');
    const lines = [
      'notifications      │ WARN  idle PostgreSQL connection failed err="Error: Connection terminated unexpectedly"',
      'notifications      │ WARN  idle PostgreSQL connection failed err="Error: Connection terminated unexpectedly"',
      'analytics          │ INFO  partitions assigned',
      "analytics          │ Emitted 'error' event on Client instance at:",
      'analytics          │ exited (code 1); restarting in 1 s',
    ].map((text, i) => ({ at: at + i, text: `06:15:17.00${i} ${text}` }));
    const summary = summarizeLogs(lines);
    expect(summary).toHaveLength(3);
    expect(summary[0]).toMatch(/×1 .*analytics .*Emitted 'error'/);
    expect(summary[1]).toMatch(/×1 .*analytics .*exited \(code 1\)/);
    expect(summary[2]).toMatch(/×2 .*notifications .*WARN {2}idle PostgreSQL/);
  });
});

describe('the details of a phase', () => {
  it('says when the event that waited longest committed, to tell a stall at the fault from a later one', () => {
    const r: PhaseResult = {
      ...clean,
      pauses: {
        notifications: { ms: 53_600, how: 'max commit → inbox row', committedAtMs: 15_200 },
        realtime: { ms: 2_000, how: 'max commit → SSE client', committedAtMs: -1_500 },
        'cache-invalidation': { ms: 12_000, how: 'recovery probe' },
      },
    };
    const text = details(r);
    expect(text).toContain('notifications 53.6 s (max commit → inbox row, committed 15.2 s after it)');
    expect(text).toContain('realtime 2.0 s (max commit → SSE client, committed 1.5 s before the fault)');
    expect(text).toContain('cache-invalidation 12.0 s (recovery probe)');
  });
});
