import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  changeScript,
  clearScript,
  deadNodesScript,
  heartbeatScript,
  listScript,
} from './presence-scripts.ts';

/** A subject joined (its first stream on the channel, across nodes) or left (its last). */
export interface PresenceChange {
  kind: 'joined' | 'left';
  channel: string;
  subject: string;
  /** The subject's streams on the channel after the change, across every live node. */
  connections: number;
}

/** One member of a channel. */
export interface PresenceMember {
  subject: string;
  connections: number;
}

/** Options of {@link createPresence}. */
export interface PresenceOptions {
  redisUrl: string;
  nodeId: string;
  /**
   * Lifetime of the node's heartbeat key (ms), refreshed every third of it. A node that dies
   * drops out of every answer within it, and its members' `left` events follow within a
   * further third (the next heartbeat of a surviving node).
   */
  ttlMs: number;
  logger: Logger;
  /** Called for each join and leave (the gateway publishes them as presence events). */
  onChange: (change: PresenceChange) => void;
  /** Prefix of every key (default `outstream:presence:`). */
  prefix?: string;
}

type Scripts = {
  [K in 'presenceChange' | 'presenceList' | 'presenceClear' | 'presenceHeartbeat' | 'presenceDead']: (
    ...args: (string | number)[]
  ) => Promise<unknown>;
};

/**
 * Who is on each channel, across every gateway node, shared through Redis (scripts in
 * `presence-scripts.ts`). Each node keeps its own members in memory too, so a Redis outage
 * only degrades presence: joins and leaves meanwhile are not announced, `degraded()` says
 * why (shown in `/health`), and once Redis answers again the node rewrites its entries.
 * Nothing here throws into a stream or the process.
 */
export function createPresence(o: PresenceOptions) {
  const prefix = o.prefix ?? 'outstream:presence:';
  const local = new Map<string, Map<string, number>>();
  const redis = new Redis(o.redisUrl, {
    lazyConnect: true,
    // Fail at once while disconnected (the node's memory is the truth meanwhile).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 10), 5_000),
  }) as Redis & Scripts;
  redis.defineCommand('presenceChange', { numberOfKeys: 0, lua: changeScript });
  redis.defineCommand('presenceList', { numberOfKeys: 0, lua: listScript });
  redis.defineCommand('presenceClear', { numberOfKeys: 0, lua: clearScript });
  redis.defineCommand('presenceHeartbeat', { numberOfKeys: 0, lua: heartbeatScript });
  redis.defineCommand('presenceDead', { numberOfKeys: 0, lua: deadNodesScript });
  let degraded: string | undefined = 'connecting to Redis';
  /** The shared entries may not match `local`: rewrite them at the next heartbeat. */
  let dirty = true;
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> | undefined;
  let closed = false;

  const fail = (what: string, e: unknown) => {
    const reason = `${what}: ${(e as Error)?.message ?? e}`;
    if (degraded === undefined) o.logger.warn({ err: e }, `presence degraded (${what})`);
    degraded = reason;
    dirty = true;
  };
  redis.on('error', (e: unknown) => fail('Redis unreachable', e));

  function count(channel: string, subject: string, delta: number): number {
    let subjects = local.get(channel);
    if (!subjects) {
      subjects = new Map();
      local.set(channel, subjects);
    }
    const n = (subjects.get(subject) ?? 0) + delta;
    if (n > 0) subjects.set(subject, n);
    else subjects.delete(subject);
    if (subjects.size === 0) local.delete(channel);
    return n;
  }

  async function change(channel: string, subject: string, delta: 1 | -1): Promise<void> {
    count(channel, subject, delta);
    if (dirty) return; // the next heartbeat rewrites everything
    try {
      const total = Number(await redis.presenceChange(prefix, o.nodeId, channel, subject, delta));
      if (delta > 0 && total === 1) o.onChange({ kind: 'joined', channel, subject, connections: 1 });
      if (delta < 0 && total === 0) o.onChange({ kind: 'left', channel, subject, connections: 0 });
    } catch (e) {
      fail('presence write failed', e);
    }
  }

  /** Rewrites this node's entries from memory (after an outage, or once its key had expired). */
  async function rewrite(): Promise<void> {
    await redis.presenceClear(prefix, o.nodeId, o.nodeId);
    const pipeline = redis.pipeline() as unknown as Scripts & { exec(): Promise<unknown> };
    for (const [channel, subjects] of local) {
      for (const [subject, n] of subjects) pipeline.presenceChange(prefix, o.nodeId, channel, subject, n);
    }
    await pipeline.exec();
  }

  async function heartbeat(): Promise<void> {
    try {
      if (redis.status === 'wait') await redis.connect();
      const was = Number(await redis.presenceHeartbeat(prefix, o.nodeId, o.ttlMs));
      if (dirty || was === 0) {
        dirty = true;
        await rewrite();
        dirty = false;
      }
      if (degraded !== undefined) o.logger.info('presence shared through Redis again');
      degraded = undefined;
      // Reap dead nodes: the first survivor to get there announces their members' leaves.
      for (const node of (await redis.presenceDead(prefix, o.nodeId)) as string[]) {
        const left = (await redis.presenceClear(prefix, node, o.nodeId)) as string[];
        for (let i = 0; i < left.length; i += 2) {
          o.onChange({ kind: 'left', channel: left[i]!, subject: left[i + 1]!, connections: 0 });
        }
        if (left.length > 0) o.logger.info({ node, left: left.length / 2 }, 'reaped a dead node');
      }
    } catch (e) {
      fail('presence heartbeat failed', e);
    }
  }

  const beat = () => {
    if (closed || beating) return;
    beating = heartbeat().finally(() => {
      beating = undefined;
    });
  };

  return {
    /** Registers the node and starts its heartbeat (never throws: Redis down is degraded). */
    async start(): Promise<void> {
      beat();
      await beating;
      timer = setInterval(beat, Math.max(100, Math.floor(o.ttlMs / 3)));
      timer.unref();
    },

    /** A stream of `subject` opened on `channel`. */
    join: (channel: string, subject: string) => change(channel, subject, 1),

    /** A stream of `subject` on `channel` ended. */
    leave: (channel: string, subject: string) => change(channel, subject, -1),

    /**
     * The members of a channel across every live node.
     *
     * @throws when Redis cannot answer (the caller answers 503).
     */
    async members(channel: string): Promise<PresenceMember[]> {
      const flat = (await redis.presenceList(prefix, channel)) as (string | number)[];
      const out: PresenceMember[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        out.push({ subject: String(flat[i]), connections: Number(flat[i + 1]) });
      }
      return out.sort((a, b) => a.subject.localeCompare(b.subject));
    },

    /** Why presence is degraded (Redis unreachable, a write failed); undefined while it works. */
    degraded: (): string | undefined => degraded,

    /**
     * Stops the heartbeat and removes this node's entries (its members leave, announced), so
     * a drained node does not linger until its key expires.
     */
    async close(): Promise<void> {
      closed = true;
      clearInterval(timer);
      await beating;
      try {
        if (degraded === undefined) {
          await redis.del(`${prefix}node:${o.nodeId}`);
          const left = (await redis.presenceClear(prefix, o.nodeId, o.nodeId)) as string[];
          for (let i = 0; i < left.length; i += 2) {
            o.onChange({ kind: 'left', channel: left[i]!, subject: left[i + 1]!, connections: 0 });
          }
        }
      } catch (e) {
        o.logger.warn({ err: e }, 'presence entries not removed on close (they expire with the node key)');
      }
      redis.disconnect();
    },
  };
}

/** The presence {@link createPresence} returns. */
export type Presence = ReturnType<typeof createPresence>;
