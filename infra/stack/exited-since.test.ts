import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { exitedSince, pidGraceMs } from './stack.ts';

const config = loadConfig({});

/** A runner whose pid answers follow `pids`, and a clock the test moves. */
function scenario(pids: (number | undefined)[]) {
  let t = 0;
  let i = 0;
  const runner = { runningPid: () => pids[Math.min(i++, pids.length - 1)] };
  const abort = exitedSince(runner, config, () => t);
  return { abort, advance: (ms: number) => (t += ms) };
}

describe('exitedSince (the start abort test)', () => {
  it('does not call a daemon that has not written its pid file yet an exit', () => {
    // A stale pid file of a SIGKILLed predecessor reads as "not running" for a moment.
    const { abort, advance } = scenario([undefined, undefined, 4242]);
    expect(abort()).toBeUndefined();
    advance(300);
    expect(abort()).toBeUndefined();
    expect(abort()).toBeUndefined();
  });

  it('reports an exit once the process was seen and is gone', () => {
    const { abort } = scenario([4242, undefined]);
    expect(abort()).toBeUndefined();
    expect(abort()).toBe('its process exited');
  });

  it('gives up when no process appears within the grace', () => {
    const { abort, advance } = scenario([undefined]);
    expect(abort()).toBeUndefined();
    advance(pidGraceMs + 1);
    expect(abort()).toMatch(/did not appear within 10 s/);
  });
});
