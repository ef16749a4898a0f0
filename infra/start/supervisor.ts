import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchHealth } from './health-watch.ts';
import { formatLogLine } from './log-format.ts';

/** One process `npm start` runs. */
export interface ProcessSpec {
  /** Shown as the log prefix. */
  name: string;
  /** Arguments to `node` (the project's Node, which strips types). */
  args: string[];
  /** Variables set for this child on top of the supervisor's environment. */
  env?: Record<string, string>;
}

/** Most processes per group and gateway nodes `npm start` runs (`--members`, `--gateways`). */
export const maxScale = 4;

/** The name of member `member` (1-based) of `name`: `notifications`, `notifications-2`, … */
export function memberName(name: string, member: number): string {
  return member === 1 ? name : `${name}-${member}`;
}

/**
 * The health port of member `member` (1-based) of a group whose first member uses `port`:
 * 10 apart, so the three groups' members never meet (0 stays 0: any free port).
 */
export function memberHealthPort(port: number, member: number): number {
  return port === 0 ? 0 : port + 10 * (member - 1);
}

/** Options of {@link supervise}. */
export interface SuperviseOptions {
  write?: (line: string) => void;
  color?: boolean;
  /** How long `stop` waits for children to drain before SIGKILL (default 30 s). */
  stopTimeoutMs?: number;
  /** How often a child's `/health` is asked (default 5 s). */
  healthIntervalMs?: number;
  /** How long a child must stay unhealthy before it is restarted (default 20 s). */
  unhealthyAfterMs?: number;
  /** How long an unhealthy child gets to stop after SIGTERM before SIGKILL (default 30 s). */
  restartTimeoutMs?: number;
}

/** The IPC message a child sends once its `/health` listens (consumers/runtime/run-group.ts). */
export interface HealthMessage {
  type: 'outstream:health';
  port: number;
}

const isHealthMessage = (m: unknown): m is HealthMessage =>
  typeof m === 'object' &&
  m !== null &&
  (m as HealthMessage).type === 'outstream:health' &&
  Number.isInteger((m as HealthMessage).port);

/**
 * Runs child processes with prefixed, readable logs, restarts one that crashes (backoff 1 s
 * doubling to 30 s, reset after a minute of uptime), and stops them all with one SIGTERM
 * each. Children get an IPC channel: a child whose supervisor dies stops itself
 * (consumers/runtime/run-group.ts listens for the disconnect), and a child that reports its
 * health port over it (`{ type: 'outstream:health', port }`) is watched: one that stays
 * unhealthy (stalled, or not answering) for `unhealthyAfterMs` is restarted — SIGTERM, SIGKILL
 * after `restartTimeoutMs` — with the reason logged.
 */
export function supervise(specs: readonly ProcessSpec[], o: SuperviseOptions = {}) {
  const write = o.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  const color = o.color ?? process.stdout.isTTY === true;
  const width = Math.max(...specs.map((s) => s.name.length), 5);
  const running = new Map<string, ChildProcess>();
  let stopping = false;

  const log = (spec: ProcessSpec, index: number, line: string) =>
    write(formatLogLine(spec.name, line, { color, width, index }));

  function start(spec: ProcessSpec, index: number, delayMs = 1_000) {
    const startedAt = Date.now();
    const child = spawn(process.execPath, spec.args, {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Its own process group: Ctrl-C reaches only this supervisor, which forwards one SIGTERM.
      detached: true,
      env: spec.env ? { ...process.env, ...spec.env } : process.env,
    });
    running.set(spec.name, child);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => log(spec, index, line));
    }
    let unwatch: (() => void) | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    child.on('message', (m) => {
      if (!isHealthMessage(m) || unwatch) return;
      unwatch = watchHealth({
        url: `http://127.0.0.1:${m.port}/health`,
        intervalMs: o.healthIntervalMs,
        unhealthyAfterMs: o.unhealthyAfterMs,
        onUnhealthy(reason) {
          if (stopping || child.exitCode !== null || child.signalCode !== null) return;
          const graceMs = o.restartTimeoutMs ?? 30_000;
          log(
            spec,
            index,
            `unhealthy: ${reason}; restarting it (SIGTERM, SIGKILL after ${graceMs / 1000} s)`,
          );
          child.kill('SIGTERM');
          killTimer = setTimeout(() => {
            log(spec, index, `did not stop within ${graceMs / 1000} s of SIGTERM; killing it`);
            child.kill('SIGKILL');
          }, graceMs);
        },
      });
    });
    child.on('exit', (code, signal) => {
      unwatch?.();
      clearTimeout(killTimer);
      running.delete(spec.name);
      if (stopping) return;
      const next = Date.now() - startedAt > 60_000 ? 1_000 : Math.min(delayMs * 2, 30_000);
      log(
        spec,
        index,
        `exited (${signal ?? `code ${code}`}); restarting in ${(delayMs / 1000).toFixed(0)} s`,
      );
      sleep(delayMs).then(() => {
        if (!stopping) start(spec, index, next);
      });
    });
  }

  specs.forEach((s, i) => {
    start(s, i);
  });

  return {
    /** Sends SIGTERM to every child and waits for them (SIGKILL after the timeout). */
    async stop(): Promise<void> {
      stopping = true;
      const children = [...running.entries()];
      await Promise.all(
        children.map(async ([name, child]) => {
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          child.kill('SIGTERM');
          const timeout = sleep(o.stopTimeoutMs ?? 30_000).then(() => 'timeout' as const);
          if ((await Promise.race([exited, timeout])) === 'timeout') {
            write(`${name}: did not stop in time; killing it`);
            child.kill('SIGKILL');
            await exited;
          }
        }),
      );
    },
  };
}
