import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Consumer, ConsumerStatus } from './define-consumer.ts';
import { createHealthApp } from './health.ts';

const base: ConsumerStatus = {
  group: 'g',
  state: 'running',
  assignment: { 'events.booking': [0, 1] },
  inFlight: 0,
  held: 0,
  lastBatchAt: undefined,
  degraded: undefined,
  dependencies: [],
  stalled: undefined,
};

/** A consumer that only reports a status: what /health reads. */
function reporting(status: Partial<ConsumerStatus>): Consumer {
  const metrics = new Registry();
  return {
    group: 'g',
    topics: [],
    start: async () => {},
    stop: async () => {},
    events: { on: () => () => {}, emit: () => {}, listening: () => false },
    metrics,
    status: () => ({ ...base, ...status }),
  };
}

async function health(status: Partial<ConsumerStatus>) {
  const res = await createHealthApp([reporting(status)]).request('/health');
  return { code: res.status, status: ((await res.json()) as { status: string }).status };
}

describe('/health', () => {
  it('ok, degraded (an outage waited out: still 200), unhealthy (stalled: 503), unavailable (503)', async () => {
    expect(await health({})).toEqual({ code: 200, status: 'ok' });
    expect(
      await health({
        degraded: 'postgres unavailable for 12 s (40 events waiting): connect ECONNREFUSED',
        dependencies: [{ dependency: 'postgres', since: new Date(), waiting: 40, lastError: 'ECONNREFUSED' }],
      }),
    ).toEqual({ code: 200, status: 'degraded' });
    expect(await health({ stalled: 'no progress for 75 s with a lag of 19317' })).toEqual({
      code: 503,
      status: 'unhealthy',
    });
    expect(await health({ state: 'stopping' })).toEqual({ code: 503, status: 'unavailable' });
  });
});
