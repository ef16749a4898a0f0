import { describe, expect, it } from 'vitest';
import { isOutstreamError } from '../../core/errors.ts';
import { applyCosts, CapacityInputError, figuresOf, validateCosts } from './costs.ts';
import { measuredCosts } from './figures.ts';
import { planCapacity } from './model.ts';

/** The fields a call's CapacityInputError names (fails the test if it throws anything else). */
function fieldsOf(call: () => unknown): readonly string[] {
  try {
    call();
  } catch (e) {
    expect(e).toBeInstanceOf(CapacityInputError);
    expect(isOutstreamError(e, 'INVALID_ARGUMENT')).toBe(true);
    return (e as CapacityInputError).fields;
  }
  throw new Error('expected a CapacityInputError');
}

describe('the measured defaults', () => {
  it('are a valid cost table, every figure with a source', () => {
    expect(validateCosts(measuredCosts)).toEqual(measuredCosts);
    for (const [, f] of figuresOf(measuredCosts)) expect(f.source.length).toBeGreaterThan(0);
  });

  it("fit PostgreSQL's and the emitters' cost through both measured points", () => {
    const at = (n: number, c: typeof measuredCosts.postgres) =>
      c.perKEvents.value + c.perKTransactions.value / n;
    expect(at(1, measuredCosts.postgres)).toBeCloseTo(0.96);
    expect(at(100, measuredCosts.postgres)).toBeCloseTo(0.23);
    expect(at(1, measuredCosts.emitters)).toBeCloseTo(0.67);
    expect(at(100, measuredCosts.emitters)).toBeCloseTo(0.07);
  });

  it("take the gateway's cost per delivery from the fan-out sweep: nothing waits for a measurement", () => {
    expect(figuresOf(measuredCosts).filter(([, f]) => f.pending)).toEqual([]);
    expect(measuredCosts.gateway.perMDeliveries.provenance).toBe('measured-here');
    expect(measuredCosts.gateway.perMDeliveries.source).toMatch(/bench:sse -- --fanout-sweep/);
  });
});

describe('validation', () => {
  it('names each bad field of a target', () => {
    const costs = measuredCosts;
    expect(fieldsOf(() => planCapacity(costs, { eventsPerS: -1, sseClients: 10 }))).toEqual([
      'target.eventsPerS',
    ]);
    expect(fieldsOf(() => planCapacity(costs, { eventsPerS: Number.NaN, sseClients: 1.5 }))).toEqual([
      'target.eventsPerS',
      'target.sseClients',
    ]);
    expect(
      fieldsOf(() =>
        planCapacity(costs, { eventsPerS: 10, sseClients: 0, eventsPerTransaction: 0, cpuScale: 0 }),
      ),
    ).toEqual(['target.eventsPerTransaction', 'target.cpuScale']);
  });

  it('names each bad field of a cost table', () => {
    const bad = {
      ...measuredCosts,
      gateway: { ...measuredCosts.gateway, heartbeatMs: { ...measuredCosts.gateway.heartbeatMs, value: 0 } },
      machine: { ...measuredCosts.machine, headroom: { value: 0.5, provenance: 'guessed', source: '' } },
    };
    expect(fieldsOf(() => validateCosts(bad))).toEqual([
      'costs.gateway.heartbeatMs.value',
      'costs.machine.headroom.value',
      'costs.machine.headroom.provenance',
      'costs.machine.headroom.source',
    ]);
    expect(fieldsOf(() => validateCosts({ ...measuredCosts, groups: {} }))).toEqual(['costs.groups']);
  });
});

describe('applyCosts', () => {
  it('lays figures over the defaults: a number as assumed, an object whole', () => {
    const costs = applyCosts(
      measuredCosts,
      {
        gateway: {
          perMDeliveries: 12,
          ceilingDeliveriesPerS: { value: 40_000, provenance: 'measured-here', source: 'sweep, 2026-12-01' },
        },
        groups: { audit: 0.05 },
      },
      '--costs sweep.json',
    );
    expect(costs.gateway.perMDeliveries).toEqual({
      value: 12,
      provenance: 'assumed',
      source: '--costs sweep.json',
    });
    expect(costs.gateway.ceilingDeliveriesPerS?.provenance).toBe('measured-here');
    expect(costs.gateway.intakePerKEvents).toEqual(measuredCosts.gateway.intakePerKEvents);
    expect(Object.keys(costs.groups)).toEqual(['notifications', 'cache-invalidation', 'analytics', 'audit']);
    expect(measuredCosts.gateway.perMDeliveries.value).toBe(21);
  });

  it('names an unknown field and a value of the wrong kind', () => {
    expect(fieldsOf(() => applyCosts(measuredCosts, { gateway: { bogus: 1 } }, 'x'))).toEqual([
      'costs.gateway.bogus',
    ]);
    expect(fieldsOf(() => applyCosts(measuredCosts, { kafka: { eventBytes: 'big' } }, 'x'))).toEqual([
      'costs.kafka.eventBytes',
    ]);
    expect(fieldsOf(() => applyCosts(measuredCosts, [1], 'x'))).toEqual(['costs']);
  });
});
