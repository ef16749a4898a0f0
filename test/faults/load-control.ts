import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { waitFor } from '../../core/wait.ts';
import type { LoadCommand, LoadCommit, LoadMessage, LoadPlan } from './load.ts';

/** The parent's handle on the load generator (test/faults/load.ts). */
export interface Load {
  readonly pid: number;
  /** Every commit the generator reported, in the order reported. */
  readonly commits: LoadCommit[];
  /** Transactions that failed (their outcome is whatever the outbox holds). */
  failures(): number;
  lastError(): string | undefined;
  go(): void;
  /** Stops launching transactions and resolves once none is in flight. */
  pause(): Promise<void>;
  /** Waits until `n` more commits were reported than when called. */
  more(n: number, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the load generator against the stack of `env` and waits until it is ready. */
export async function startLoad(plan: LoadPlan, env: NodeJS.ProcessEnv): Promise<Load> {
  const child: ChildProcess = fork(path.join(import.meta.dirname, 'load.ts'), [JSON.stringify(plan)], {
    env,
    stdio: 'inherit',
  });
  const commits: LoadCommit[] = [];
  let failures = 0;
  let lastError: string | undefined;
  let ready = false;
  let pausedWaiter: (() => void) | undefined;
  child.on('message', (m: LoadMessage) => {
    if ('ready' in m) ready = true;
    if ('commits' in m) {
      commits.push(...m.commits);
      failures += m.failures;
      lastError = m.lastError ?? lastError;
    }
    if ('paused' in m) pausedWaiter?.();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await waitFor(() => ready, {
    timeoutMs: 60_000,
    what: 'the load generator to be ready',
    abort: () => (child.exitCode !== null ? `it exited with ${child.exitCode}` : undefined),
  });
  const gone = () =>
    child.exitCode !== null || child.signalCode !== null
      ? `the load generator exited (${child.exitCode ?? child.signalCode})`
      : undefined;
  const send = (c: LoadCommand) => {
    if (!gone()) child.send(c);
  };
  const until = (c: LoadCommand) =>
    new Promise<void>((resolve, reject) => {
      if (gone()) return reject(new Error(gone()));
      pausedWaiter = resolve;
      child.once('exit', () => reject(new Error(gone())));
      send(c);
    });
  return {
    pid: child.pid!,
    commits,
    failures: () => failures,
    lastError: () => lastError,
    go: () => send('go'),
    pause: () => until('pause'),
    async more(n, timeoutMs) {
      const target = commits.length + n;
      await waitFor(() => commits.length >= target, {
        timeoutMs,
        intervalMs: 100,
        what: `${n} more committed events (${failures} failed so far, last error: ${lastError})`,
        abort: gone,
      });
    },
    async stop() {
      if (gone()) return;
      await until('stop').catch(() => {});
      await exited;
    },
  };
}
