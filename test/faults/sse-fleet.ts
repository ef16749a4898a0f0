import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { waitFor } from '../../core/wait.ts';

/** What one client subscribes to. */
export interface ClientSpec {
  channels: string[];
  token: string;
  /** The gateway node (index in the fleet's URLs) it connects to first (default 0). */
  node?: number;
}

/** Counters of a fleet (or one of its processes) since the last `stats`. */
export interface FleetStats {
  /** Events received (every delivery). */
  events: number;
  /** Deliveries of an event the client already had (light mode: a sequence not above the last). */
  repeated: number;
  outOfOrder: number;
  /** Sequence numbers skipped on an aggregate the client already followed. */
  gaps: number;
  resets: number;
  resetReasons: Record<string, number>;
  /** `disconnect` control events (slow client, draining, token expired…). */
  disconnects: number;
  /** Connections opened again after the first. */
  reconnects: number;
  /** Several gateway nodes: connections lost or refused on one node and opened on the next. */
  failovers: number;
  /** Times an EventSource gave up for good (HTTP error), by status: reopened with `?lastEventId=`. */
  gaveUp: number;
  gaveUpStatuses: Record<string, number>;
}

/** Commands to a client process. */
export type FleetCommand =
  | { cmd: 'open'; baseUrls: string[]; clients: ClientSpec[]; light: boolean }
  | { cmd: 'open-count' }
  | { cmd: 'lateness'; commits: Record<string, number> }
  | { cmd: 'seen'; id: string; channel: string }
  | { cmd: 'check'; expected: Record<string, string[]> }
  | { cmd: 'stats' }
  | { cmd: 'close' };

/** Replies of a client process. */
export type FleetReply =
  | { reply: 'opened' }
  | { reply: 'open-count'; open: number; total: number; byNode: number[] }
  | { reply: 'lateness'; ms: number; id: string }
  | { reply: 'seen'; expected: number; got: number; lastAt: number }
  | { reply: 'check'; missing: number; duplicates: number; sample: string[] }
  | { reply: 'stats'; stats: FleetStats; open: number }
  | { reply: 'closed' };

/**
 * Each process stays far below the 20,000 open files a process may hold here (one socket per
 * client, plus what Node itself opens).
 */
export const clientsPerProcess = 5_000;

function ask<R extends FleetReply['reply']>(
  child: ChildProcess,
  command: FleetCommand,
  reply: R,
): Promise<Extract<FleetReply, { reply: R }>> {
  return new Promise((resolve, reject) => {
    const on = (m: FleetReply) => {
      if (m.reply !== reply) return;
      child.off('message', on);
      child.off('exit', gone);
      resolve(m as Extract<FleetReply, { reply: R }>);
    };
    const gone = () => reject(new Error(`an SSE client process exited during '${command.cmd}'`));
    child.on('message', on);
    child.once('exit', gone);
    child.send(command);
  });
}

/** Stats of a fleet that has seen nothing yet. */
export function blankStats(): FleetStats {
  return {
    events: 0,
    repeated: 0,
    outOfOrder: 0,
    gaps: 0,
    resets: 0,
    resetReasons: {},
    disconnects: 0,
    reconnects: 0,
    failovers: 0,
    gaveUp: 0,
    gaveUpStatuses: {},
  };
}

/** The stats of several client processes as one. */
export function mergeStats(all: readonly FleetStats[]): FleetStats {
  const add = (a: Record<string, number>, b: Record<string, number>) => {
    for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
    return a;
  };
  return all.reduce<FleetStats>(
    (s, x) => ({
      events: s.events + x.events,
      repeated: s.repeated + x.repeated,
      outOfOrder: s.outOfOrder + x.outOfOrder,
      gaps: s.gaps + x.gaps,
      resets: s.resets + x.resets,
      resetReasons: add(s.resetReasons, x.resetReasons),
      disconnects: s.disconnects + x.disconnects,
      reconnects: s.reconnects + x.reconnects,
      failovers: s.failovers + x.failovers,
      gaveUp: s.gaveUp + x.gaveUp,
      gaveUpStatuses: add(s.gaveUpStatuses, x.gaveUpStatuses),
    }),
    blankStats(),
  );
}

/**
 * Opens `specs.length` SSE clients on the gateway at `baseUrls` (one URL per node; each client
 * starts on its spec's node and fails over to the next), spread over child processes, and
 * resolves once every one is connected. `light`: no per-event ids kept (long soaks): repeats
 * and gaps are found from per-aggregate sequences only.
 */
export async function openFleet(baseUrls: readonly string[], specs: readonly ClientSpec[], light: boolean) {
  const children: ChildProcess[] = [];
  for (let i = 0; i < specs.length; i += clientsPerProcess) {
    const child = fork(path.join(import.meta.dirname, 'sse-clients.ts'), [], { stdio: 'inherit' });
    children.push(child);
    await ask(
      child,
      { cmd: 'open', baseUrls: [...baseUrls], clients: specs.slice(i, i + clientsPerProcess), light },
      'opened',
    );
  }
  const openByNode = async () => {
    const counts = await Promise.all(children.map((c) => ask(c, { cmd: 'open-count' }, 'open-count')));
    return baseUrls.map((_, i) => counts.reduce((n, c) => n + (c.byNode[i] ?? 0), 0));
  };
  const openCount = async () => (await openByNode()).reduce((n, x) => n + x, 0);
  await waitFor(async () => (await openCount()) === specs.length, {
    timeoutMs: 60_000 + specs.length * 20,
    intervalMs: 250,
    what: `${specs.length} SSE clients to connect`,
  });
  return {
    pids: () => children.map((c) => c.pid!),
    openCount,
    /** Open streams per gateway node. */
    openByNode,
    /** The longest wait of any client for an event among `commits` (id → commit ms), and which. */
    async lateness(commits: Record<string, number>) {
      const r = await Promise.all(children.map((c) => ask(c, { cmd: 'lateness', commits }, 'lateness')));
      return r.reduce((a, b) => (b.ms > a.ms ? { ms: b.ms, id: b.id } : a), { ms: 0, id: '' });
    },
    /** How many of the clients on `channel` have event `id`, and when the last of them got it. */
    async seen(id: string, channel: string) {
      const r = await Promise.all(children.map((c) => ask(c, { cmd: 'seen', id, channel }, 'seen')));
      return {
        expected: r.reduce((n, x) => n + x.expected, 0),
        got: r.reduce((n, x) => n + x.got, 0),
        lastAt: Math.max(0, ...r.map((x) => x.lastAt)),
      };
    },
    /** Which expected events (by channel) some client lacks, and what was delivered twice. */
    async check(expected: Record<string, string[]>) {
      const r = await Promise.all(children.map((c) => ask(c, { cmd: 'check', expected }, 'check')));
      return {
        missing: r.reduce((n, x) => n + x.missing, 0),
        duplicates: r.reduce((n, x) => n + x.duplicates, 0),
        sample: r.flatMap((x) => x.sample).slice(0, 5),
      };
    },
    /** Counters since the previous call (which resets them). */
    async stats() {
      const r = await Promise.all(children.map((c) => ask(c, { cmd: 'stats' }, 'stats')));
      return { stats: mergeStats(r.map((x) => x.stats)), open: r.reduce((n, x) => n + x.open, 0) };
    },
    async close() {
      await Promise.all(
        children.map(async (c) => {
          if (c.exitCode !== null) return;
          await ask(c, { cmd: 'close' }, 'closed').catch(() => {});
          const exited = new Promise((r) => c.once('exit', r));
          c.disconnect();
          await exited;
        }),
      );
    },
  };
}

/** The fleet {@link openFleet} returns. */
export type Fleet = Awaited<ReturnType<typeof openFleet>>;
