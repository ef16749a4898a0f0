import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatLogLine } from './log-format.ts';

/** One process `npm start` runs. */
export interface ProcessSpec {
  /** Shown as the log prefix. */
  name: string;
  /** Arguments to `node` (the project's Node, which strips types). */
  args: string[];
}

/** Options of {@link supervise}. */
export interface SuperviseOptions {
  write?: (line: string) => void;
  color?: boolean;
  /** How long `stop` waits for children to drain before SIGKILL (default 30 s). */
  stopTimeoutMs?: number;
}

/**
 * Runs child processes with prefixed, readable logs, restarts one that crashes (backoff 1 s
 * doubling to 30 s, reset after a minute of uptime), and stops them all with one SIGTERM
 * each. Children get an IPC channel: a child whose supervisor dies stops itself
 * (consumers/runtime/run-group.ts listens for the disconnect).
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
      env: process.env,
    });
    running.set(spec.name, child);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => log(spec, index, line));
    }
    child.on('exit', (code, signal) => {
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
