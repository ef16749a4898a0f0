import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createConsumerMetrics, metricNames } from './metrics.ts';
import { createOutageTracker } from './outages.ts';

function setup() {
  const lines: { msg: string }[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (l: string) => lines.push(JSON.parse(l) as { msg: string }) },
  );
  const registry = new Registry();
  let t = 1_000_000;
  const tracker = createOutageTracker({
    group: 'g',
    logger,
    metrics: createConsumerMetrics(registry),
    logEveryMs: 10_000,
    now: () => t,
  });
  const value = async (name: string) =>
    (await registry.getSingleMetric(name)!.get()).values.find((v) => v.labels.dependency === 'postgres')
      ?.value;
  return { tracker, lines, value, advance: (ms: number) => (t += ms) };
}

const refused = new Error('connect ECONNREFUSED 127.0.0.1:15432');

describe('the outage tracker', () => {
  it('shows an outage while events wait for it, in status, metrics and a few log lines', async () => {
    const { tracker, lines, value, advance } = setup();
    const stop = new AbortController();
    const waits = [1, 2, 3].map(() =>
      tracker.wait({ dependency: 'postgres', step: 1, delayMs: 60_000, error: refused }, stop.signal),
    );
    expect(tracker.current()).toMatchObject([
      { dependency: 'postgres', waiting: 3, lastError: refused.message },
    ]);
    expect(await value(metricNames.dependencyUnavailable)).toBe(1);
    expect(await value(metricNames.dependencyWaiting)).toBe(3);
    // Many backoff steps within 10 s: one "still waiting" line at most.
    for (let i = 0; i < 20; i++) {
      advance(1_000);
      void tracker.wait({ dependency: 'postgres', step: 2, delayMs: 1, error: refused }, stop.signal);
    }
    stop.abort();
    await Promise.all(waits);
    expect(lines.map((l) => l.msg)).toEqual([
      'postgres unavailable: waiting it out (no dead letters)',
      'still waiting for postgres',
      'still waiting for postgres',
    ]);
    expect(await value(metricNames.dependencyOutageSeconds)).toBeGreaterThanOrEqual(20);
  });

  it('one event getting through ends the outage and wakes every other waiting event at once', async () => {
    const { tracker, lines, value } = setup();
    const started = Date.now();
    const waits = [1, 2].map(() =>
      tracker.wait({ dependency: 'postgres', step: 7, delayMs: 60_000, error: refused }),
    );
    tracker.end('postgres', true);
    await Promise.all(waits);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(tracker.current()).toEqual([]);
    expect(await value(metricNames.dependencyUnavailable)).toBe(0);
    expect(lines.at(-1)?.msg).toMatch(/^postgres is back after /);
  });

  it('an event that gives up (stopping) does not end the outage for those still waiting', async () => {
    const { tracker } = setup();
    const stop = new AbortController();
    const waiting = tracker.wait(
      { dependency: 'postgres', step: 1, delayMs: 60_000, error: refused },
      stop.signal,
    );
    tracker.end('postgres', false);
    expect(tracker.current()).toHaveLength(1);
    stop.abort();
    await waiting;
    tracker.end('postgres', false);
    expect(tracker.current()).toEqual([]);
  });
});
