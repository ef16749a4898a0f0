import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { localPorts } from '../../core/config.ts';
import { waitFor } from '../../core/wait.ts';
import type { PrivateStack } from './private-stack.ts';

const root = path.resolve(import.meta.dirname, '..', '..');

/** The processes `npm start` supervises. */
export const platformProcesses = ['notifications', 'cache-invalidation', 'analytics', 'realtime'] as const;
export type PlatformProcess = (typeof platformProcesses)[number];

/** One line of the platform's output, as `npm start` prints it, with when it arrived. */
export interface LogLine {
  at: number;
  text: string;
}

/** `npm start` running against a private stack. */
export interface Platform {
  /** The supervisor (`infra/start.ts`). */
  readonly pid: number;
  /** The pid of a supervised process now (it changes when the supervisor restarts one). */
  pidOf(name: PlatformProcess): number | undefined;
  /** SIGKILLs a supervised process; returns its pid. */
  kill(name: PlatformProcess): number;
  /** Each process's `/health` status (`ok`, `degraded`, …, or `down`). */
  health(): Promise<Record<PlatformProcess, string>>;
  healthUrl(name: PlatformProcess): string;
  /** The sum of a Prometheus metric's samples on a process's `/metrics` (undefined when unreachable). */
  metric(name: PlatformProcess, metric: string): Promise<number | undefined>;
  /** Resolves once every process answers `/health` with 200. */
  ready(timeoutMs: number): Promise<void>;
  /** Lines printed at or after `since` (ms epoch). */
  lines(since?: number): LogLine[];
  /** SIGTERMs the supervisor (it stops its children) and waits for it. */
  stop(): Promise<void>;
  /** The log file every line is appended to. */
  logFile: string;
}

/** Options of {@link startPlatform}. */
export interface PlatformOptions {
  /** Extra environment (the gateway's secret, heartbeat, …). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `npm start` (`infra/start.ts`) against a private stack: it reuses the running
 * components, applies the setup, and supervises the three groups and the gateway, each in its
 * own process, restarting one that dies.
 */
export function startPlatform(stack: PrivateStack, o: PlatformOptions = {}): Platform {
  const logFile = path.join(stack.config.stack.dir, 'logs', 'platform.log');
  mkdirSync(path.dirname(logFile), { recursive: true });
  const child: ChildProcess = spawn(process.execPath, [path.join(root, 'infra', 'start.ts')], {
    cwd: root,
    env: { ...stack.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid!;
  const lines: LogLine[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (text) => {
      const at = Date.now();
      // Bounded: a long soak must not grow this process for the log's sake (the file has all).
      if (lines.length < 200_000) lines.push({ at, text });
      appendFileSync(logFile, `${new Date(at).toISOString()} ${text}\n`);
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const offset = stack.config.stack.portOffset;
  const ports: Record<PlatformProcess, number> = {
    notifications: localPorts.notificationsHealth + offset,
    'cache-invalidation': localPorts.cacheInvalidationHealth + offset,
    analytics: localPorts.analyticsHealth + offset,
    realtime: stack.config.sse.port,
  };
  const healthUrl = (name: PlatformProcess) => `http://127.0.0.1:${ports[name]}/health`;
  const pidOf = (name: PlatformProcess) => childrenOf(pid).find((c) => c.name === name)?.pid;

  return {
    pid,
    logFile,
    pidOf,
    healthUrl,
    kill(name) {
      const target = pidOf(name);
      if (target === undefined) throw new Error(`${name} is not running under the supervisor`);
      process.kill(target, 'SIGKILL');
      return target;
    },
    async metric(name, metric) {
      try {
        const res = await fetch(healthUrl(name).replace(/\/health$/, '/metrics'), {
          signal: AbortSignal.timeout(2_000),
        });
        const text = await res.text();
        return text
          .split('\n')
          .filter((l) => l.startsWith(`${metric} `) || l.startsWith(`${metric}{`))
          .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      } catch {
        return undefined;
      }
    },
    async health() {
      const entries = await Promise.all(
        platformProcesses.map(async (name) => {
          try {
            const res = await fetch(healthUrl(name), { signal: AbortSignal.timeout(2_000) });
            const body = (await res.json()) as { status?: string };
            return [name, body.status ?? String(res.status)] as const;
          } catch {
            return [name, 'down'] as const;
          }
        }),
      );
      return Object.fromEntries(entries) as Record<PlatformProcess, string>;
    },
    async ready(timeoutMs) {
      await waitFor(
        async () => {
          const res = await Promise.all(
            platformProcesses.map((n) => fetch(healthUrl(n), { signal: AbortSignal.timeout(2_000) })),
          );
          return res.every((r) => r.ok);
        },
        {
          timeoutMs,
          intervalMs: 500,
          what: 'every platform process to answer /health with 200',
          abort: () =>
            child.exitCode !== null
              ? `npm start exited ${child.exitCode}: ${lines
                  .slice(-20)
                  .map((l) => l.text)
                  .join('\n')}`
              : undefined,
        },
      );
    },
    lines: (since = 0) => lines.filter((l) => l.at >= since),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 45_000).unref());
        if ((await Promise.race([exited, timeout])) === 'timeout') {
          for (const c of childrenOf(pid)) process.kill(c.pid, 'SIGKILL');
          child.kill('SIGKILL');
          await exited;
        }
      }
    },
  };
}

/** The supervised children of `parent`, named by what they run. */
function childrenOf(parent: number): { pid: number; name: PlatformProcess }[] {
  const out: { pid: number; name: PlatformProcess }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const name = argv.some((a) => a.endsWith(path.join('realtime', 'main.ts')))
        ? 'realtime'
        : platformProcesses.find((p) => argv.includes(p));
      if (name) out.push({ pid: Number(entry), name });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}
