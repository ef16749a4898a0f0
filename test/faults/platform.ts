import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { localPorts } from '../../core/config.ts';
import { waitFor } from '../../core/wait.ts';
import { memberHealthPort } from '../../infra/start/supervisor.ts';
import type { PrivateStack } from './private-stack.ts';

const root = path.resolve(import.meta.dirname, '..', '..');

/** The consumer groups and the gateway, as `npm start` names their first process. */
export const platformProcesses = ['notifications', 'cache-invalidation', 'analytics', 'realtime'] as const;
/** A group or the gateway. */
export type PlatformRole = (typeof platformProcesses)[number];
/**
 * A supervised process: a role's first process by the role's name, the n-th (from 2) as
 * `<role>-n` (`notifications-2`, `realtime-2`), as `npm start --members N --gateways N` names them.
 */
export type PlatformProcess = PlatformRole | `${PlatformRole}-${number}`;

/** The role of a process (`notifications-2` → `notifications`). */
export function roleOf(name: PlatformProcess): PlatformRole {
  return name.replace(/-\d+$/, '') as PlatformRole;
}

/** Which of its role's processes a process is, 1-based (`realtime-2` → 2). */
export function indexOf(name: PlatformProcess): number {
  return Number(/-(\d+)$/.exec(name)?.[1] ?? 1);
}

/** The processes of `members` per group and `gateways` gateway nodes. */
export function processNames(members: number, gateways: number): PlatformProcess[] {
  const nth = (role: PlatformRole, i: number): PlatformProcess => (i === 1 ? role : `${role}-${i}`);
  return platformProcesses.flatMap((role) =>
    Array.from({ length: role === 'realtime' ? gateways : members }, (_, i) => nth(role, i + 1)),
  );
}

/** One line of the platform's output, as `npm start` prints it, with when it arrived. */
export interface LogLine {
  at: number;
  text: string;
}

/** `npm start` running against a private stack. */
export interface Platform {
  /** The supervisor (`infra/start.ts`). */
  readonly pid: number;
  /** Every supervised process this platform runs (groups' members, gateway nodes). */
  readonly processes: readonly PlatformProcess[];
  /** The gateway nodes' base URLs, node 1 first. */
  readonly gatewayUrls: readonly string[];
  /** The pid of a supervised process now (it changes when the supervisor restarts one). */
  pidOf(name: PlatformProcess): number | undefined;
  /** SIGKILLs a supervised process; returns its pid. */
  kill(name: PlatformProcess): number;
  /** Each process's `/health` status (`ok`, `degraded`, …, or `down`). */
  health(): Promise<Record<string, string>>;
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
  /** Processes per consumer group (`npm start --members`, default 1). */
  members?: number;
  /** Gateway nodes (`npm start --gateways`, default 1). */
  gateways?: number;
}

/**
 * Runs `npm start` (`infra/start.ts`) against a private stack: it reuses the running
 * components, applies the setup, and supervises the three groups and the gateway, each in its
 * own process, restarting one that dies.
 */
export function startPlatform(stack: PrivateStack, o: PlatformOptions = {}): Platform {
  const logFile = path.join(stack.config.stack.dir, 'logs', 'platform.log');
  mkdirSync(path.dirname(logFile), { recursive: true });
  const members = o.members ?? 1;
  const gateways = o.gateways ?? 1;
  const args = [
    path.join(root, 'infra', 'start.ts'),
    '--members',
    String(members),
    '--gateways',
    String(gateways),
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
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
  const firstPorts: Record<PlatformRole, number> = {
    notifications: localPorts.notificationsHealth + offset,
    'cache-invalidation': localPorts.cacheInvalidationHealth + offset,
    analytics: localPorts.analyticsHealth + offset,
    realtime: stack.config.sse.port,
  };
  // As infra/start.ts places them: member m 10·(m−1) above the first, gateway node g at g−1.
  const portOf = (name: PlatformProcess) => {
    const role = roleOf(name);
    const i = indexOf(name);
    return role === 'realtime' ? firstPorts.realtime + i - 1 : memberHealthPort(firstPorts[role], i);
  };
  const processes = processNames(members, gateways);
  const byPort = new Map(processes.map((p) => [portOf(p), p]));
  const healthUrl = (name: PlatformProcess) => `http://127.0.0.1:${portOf(name)}/health`;
  const pidOf = (name: PlatformProcess) => childrenOf(pid, byPort).find((c) => c.name === name)?.pid;

  return {
    pid,
    processes,
    gatewayUrls: processes
      .filter((p) => roleOf(p) === 'realtime')
      .map((p) => `http://127.0.0.1:${portOf(p)}`),
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
        processes.map(async (name) => {
          try {
            const res = await fetch(healthUrl(name), { signal: AbortSignal.timeout(2_000) });
            const body = (await res.json()) as { status?: string };
            return [name, body.status ?? String(res.status)] as const;
          } catch {
            return [name, 'down'] as const;
          }
        }),
      );
      return Object.fromEntries(entries);
    },
    async ready(timeoutMs) {
      await waitFor(
        async () => {
          const res = await Promise.all(
            processes.map((n) => fetch(healthUrl(n), { signal: AbortSignal.timeout(2_000) })),
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
          for (const c of childrenOf(pid, byPort)) process.kill(c.pid, 'SIGKILL');
          child.kill('SIGKILL');
          await exited;
        }
      }
    },
  };
}

/**
 * The supervised children of `parent`, named by what they run and, for a group's member or
 * gateway node from 2, by the port `npm start` gave it (`byPort`).
 */
function childrenOf(
  parent: number,
  byPort: ReadonlyMap<number, PlatformProcess>,
): { pid: number; name: PlatformProcess }[] {
  const out: { pid: number; name: PlatformProcess }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const role = argv.some((a) => a.endsWith(path.join('realtime', 'main.ts')))
        ? 'realtime'
        : platformProcesses.find((p) => argv.includes(p));
      if (!role) continue;
      // Only the second and later processes of a role get a port variable of their own.
      const variable = role === 'realtime' ? 'SSE_PORT' : 'OUTSTREAM_HEALTH_PORT';
      const own = readFileSync(`/proc/${entry}/environ`, 'utf8')
        .split('\0')
        .find((v) => v.startsWith(`${variable}=`));
      const name = own ? byPort.get(Number(own.slice(variable.length + 1))) : role;
      if (name) out.push({ pid: Number(entry), name });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}
