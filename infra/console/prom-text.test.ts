import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parsePromText } from './prom-text.ts';

describe('parsePromText', () => {
  it('reads what prom-client serves: counters and histograms with their labels, _sum and _count', async () => {
    const registry = new Registry();
    const c = new Counter({
      name: 'x_total',
      help: 'h',
      labelNames: ['group', 'result'],
      registers: [registry],
    });
    const h = new Histogram({
      name: 'y_seconds',
      help: 'h',
      labelNames: ['group'],
      buckets: [0.01, 0.1],
      registers: [registry],
    });
    c.inc({ group: 'notifications', result: 'ack' }, 3);
    h.observe({ group: 'notifications' }, 0.05);
    const { samples, skipped } = parsePromText(await registry.metrics());
    expect(skipped).toBe(0);
    expect(samples).toContainEqual({
      name: 'x_total',
      labels: { group: 'notifications', result: 'ack' },
      value: 3,
    });
    expect(samples).toContainEqual({
      name: 'y_seconds_bucket',
      labels: { le: '0.1', group: 'notifications' },
      value: 1,
    });
    expect(samples).toContainEqual({
      name: 'y_seconds_bucket',
      labels: { le: '+Inf', group: 'notifications' },
      value: 1,
    });
    expect(samples).toContainEqual({
      name: 'y_seconds_sum',
      labels: { group: 'notifications' },
      value: 0.05,
    });
    expect(samples).toContainEqual({ name: 'y_seconds_count', labels: { group: 'notifications' }, value: 1 });
  });

  it('unescapes label values and reads special values and timestamps', () => {
    const { samples } = parsePromText(
      'a{k="q\\"uote\\\\ and \\n",j="x,y"} +Inf 1700000000000\nb NaN\nc -Inf\nd 1e3\n',
    );
    expect(samples[0]).toEqual({
      name: 'a',
      labels: { k: 'q"uote\\ and \n', j: 'x,y' },
      value: Number.POSITIVE_INFINITY,
    });
    expect(samples[1]?.value).toBeNaN();
    expect(samples[2]?.value).toBe(Number.NEGATIVE_INFINITY);
    expect(samples[3]?.value).toBe(1000);
  });

  it('counts what is not a sample instead of reading it as zero (an HTML page, a broken line)', () => {
    const { samples, skipped } = parsePromText('<html>\nok_total 1\nbad{k="v" 2\nnovalue\nv{k="v"} abc\n');
    expect(samples).toEqual([{ name: 'ok_total', labels: {}, value: 1 }]);
    expect(skipped).toBe(4);
  });
});
