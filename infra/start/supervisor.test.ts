import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../core/wait.ts';
import { supervise } from './supervisor.ts';

const fake = path.join(import.meta.dirname, 'test-fixtures', 'fake-group.ts');

describe('npm start supervisor: liveness', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    delete process.env.FAKE_IGNORE_TERM;
    delete process.env.FAKE_HEALTHY_MS;
  });

  function run() {
    const lines: string[] = [];
    const s = supervise([{ name: 'fake', args: [fake] }], {
      write: (l) => lines.push(l),
      color: false,
      healthIntervalMs: 100,
      unhealthyAfterMs: 400,
      restartTimeoutMs: 1_000,
      stopTimeoutMs: 2_000,
    });
    stop = () => s.stop();
    const pids = () => [...new Set(lines.flatMap((l) => /fake started pid=(\d+)/.exec(l)?.[1] ?? []))];
    return { lines, pids };
  }

  it('restarts a child whose /health stays unhealthy, saying why (SIGTERM)', async () => {
    process.env.FAKE_HEALTHY_MS = '300';
    const { lines, pids } = run();
    await waitFor(() => pids().length >= 2, { timeoutMs: 15_000, what: 'a second child' });
    const why = lines.find((l) => l.includes('unhealthy:'));
    expect(why).toContain('health says unhealthy (fake: no progress for 75 s with a lag of 19317)');
    expect(why).toContain('restarting it (SIGTERM, SIGKILL after 1 s)');
    expect(lines.some((l) => /exited \(code 0\); restarting in 1 s/.test(l))).toBe(true);
  });

  it('kills (SIGKILL) an unhealthy child that does not stop on SIGTERM, then restarts it', async () => {
    process.env.FAKE_IGNORE_TERM = '1';
    const { lines, pids } = run();
    await waitFor(() => pids().length >= 2, { timeoutMs: 15_000, what: 'a second child' });
    expect(lines.some((l) => l.includes('did not stop within 1 s of SIGTERM; killing it'))).toBe(true);
    expect(lines.some((l) => /exited \(SIGKILL\); restarting/.test(l))).toBe(true);
  });

  it('leaves a healthy child alone', async () => {
    process.env.FAKE_HEALTHY_MS = '600000';
    const { lines, pids } = run();
    // Ten answers, healthy: well past the 400 ms an unhealthy child would be given.
    await waitFor(() => lines.some((l) => l.includes('health asked 10')), {
      timeoutMs: 15_000,
      what: 'ten health checks',
    });
    expect(pids()).toHaveLength(1);
    expect(lines.some((l) => l.includes('unhealthy'))).toBe(false);
  });
});
