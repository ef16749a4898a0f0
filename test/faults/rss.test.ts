import { describe, expect, it } from 'vitest';
import { createSampler, slopeMbPerHour } from './rss.ts';

describe('memory growth', () => {
  it('is the least-squares slope in MB per hour', () => {
    const hour = 3_600_000;
    expect(
      slopeMbPerHour([
        { t: 0, mb: 100 },
        { t: hour / 2, mb: 110 },
        { t: hour, mb: 120 },
      ]),
    ).toBeCloseTo(20);
    expect(slopeMbPerHour([{ t: 0, mb: 100 }])).toBe(0);
  });

  it('samples this process’s RSS and open files, and counts a changed pid as a restart', () => {
    let pid = process.pid;
    const sampler = createSampler(() => [{ name: 'me', pid }]);
    sampler.sample();
    pid = process.ppid;
    sampler.sample();
    const [me] = sampler.summary(0);
    expect(me!.samples).toBe(2);
    expect(me!.startMb).toBeGreaterThan(10);
    expect(me!.maxOpenFiles).toBeGreaterThan(2);
    expect(me!.restarts).toBe(1);
  });
});
