import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { measuredCosts } from './figures.ts';
import { planCapacity } from './model.ts';
import { pendingNotes, renderPlan } from './render.ts';

describe('renderPlan', () => {
  const plan = planCapacity(measuredCosts, { eventsPerS: 10_000, sseClients: 100_000 });
  const text = renderPlan(plan, measuredCosts, { candidates: true }).join('\n');

  it('prints every role with its count, what sets it and the provenance behind it', () => {
    expect(text).toMatch(
      /^databases \(outbox\)\s+3\s+one Debezium task per database.*assumed, measured here$/m,
    );
    expect(text).toMatch(/^members: analytics\s+3\s+1\.60 cores busy.*measured here, assumed$/m);
    for (const role of [
      'Connect tasks',
      'Connect workers',
      'Kafka brokers',
      'partitions per events topic',
      'gateway nodes',
    ])
      expect(text).toContain(role);
    expect(text).toMatch(/\[CROSSED\] capture-per-database/);
    expect(text).toMatch(/past it: shard the outbox by aggregate id/);
  });

  it('lists every figure with its provenance, and what waits for a measurement', () => {
    expect(text).toMatch(/^gateway\.intakePerKEvents\s+0\.04\s+extrapolated$/m);
    expect(text).toMatch(/^gateway\.perMDeliveries\s+21\s+measured here$/m);
    expect(text).toMatch(/^groups\.analytics\s+0\.16\s+measured here$/m);
    expect(pendingNotes(measuredCosts).join('\n')).toMatch(
      /gateway\.ceilingDeliveriesPerS.*\n.*--fanout-sweep/,
    );
  });
});

describe('npm run capacity', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(import.meta.dirname, 'main.ts'), ...args], { encoding: 'utf8' });

  it('names the flag of a bad value and exits 2', () => {
    const r = cli('--events-per-s', 'many', '--sse-clients', '10');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^--events-per-s: /);
  });

  it('prints a plan as JSON', () => {
    const r = cli('--events-per-s', '1000', '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { plans: { databases: { count: number } }[] };
    expect(out.plans[0]!.databases.count).toBe(1);
  });
});
