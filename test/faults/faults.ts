import type { KafkaClient } from '../../core/kafka/index.ts';
import { waitFor } from '../../core/wait.ts';
import type { Platform, PlatformProcess } from './platform.ts';
import type { PrivateStack } from './private-stack.ts';
import type { Fleet } from './sse-fleet.ts';

/** What a fault may touch. */
export interface FaultContext {
  stack: PrivateStack;
  platform: Platform;
  /** The SSE clients (a fault on a gateway node watches them move). */
  fleet: Fleet;
  /** The suite's own Kafka client, to read the cluster's state (leaders, the controller). */
  kafka: KafkaClient;
  /** How long a component the suite restarts itself stays down (ms). */
  holdMs: number;
  /** KRaft nodes killed by earlier faults of the run, by fault name (the report compares them). */
  killedNodes: Map<string, number>;
}

/** What an injected fault reports. */
export interface Injected {
  /** When the component was started again (or, for supervised processes, killed): recovery counts from here. */
  restoredAt: number;
  /** How long the component was down before the restart began (ms). */
  downMs: number;
  /** What was done, for the report. */
  detail: string;
  /**
   * Work the fault goes on with while the platform is measured (a node restarting in the
   * background); resolves with more detail. The phase waits for it before its final reads.
   */
  settled?: Promise<string>;
}

/** One fault: injected once, under load, then left to recover. */
export interface Fault {
  name: string;
  inject(ctx: FaultContext): Promise<Injected>;
}

/** Waits out an outage: its length is a parameter of the fault, not a wait for a condition. */
export const hold = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** kill -9 a stack component, keep it down `holdMs`, start it again with the stack's own code. */
function killComponent(name: 'connect' | 'kafka'): Fault {
  return {
    name: `kill -9 ${name === 'kafka' ? 'broker' : 'Connect'}`,
    async inject({ stack, holdMs }) {
      const killedAt = Date.now();
      const pid = await stack.kill(name);
      await hold(holdMs);
      const restoredAt = Date.now();
      await stack.up();
      return {
        restoredAt,
        downMs: restoredAt - killedAt,
        detail: `pid ${pid} SIGKILLed, restarted by stackUp after ${holdMs} ms (up in ${Date.now() - restoredAt} ms)`,
      };
    },
  };
}

/**
 * SIGKILLs supervised processes at once and waits (up to 60 s) for the supervisor to start
 * each again; says what happened to each.
 */
export async function killAndAwaitRestart(
  platform: Platform,
  names: readonly PlatformProcess[],
): Promise<{ killedAt: number; detail: string }> {
  const pids = names.map((name) => platform.kill(name));
  const killedAt = Date.now();
  const lines = await Promise.all(
    names.map(async (name, i) => {
      const back = await waitFor(
        () => {
          const now = platform.pidOf(name);
          return now !== undefined && now !== pids[i] ? now : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: `the supervisor to restart ${name}` },
      ).catch(() => undefined);
      const prefix = names.length > 1 ? `${name} ` : '';
      return `${prefix}pid ${pids[i]} SIGKILLed; ${back ? `supervisor restarted it as pid ${back} after ${Date.now() - killedAt} ms` : 'NOT restarted within 60 s'}`;
    }),
  );
  return { killedAt, detail: lines.join('; ') };
}

/** kill -9 a process `npm start` supervises: the supervisor must bring it back by itself. */
function killSupervised(name: PlatformProcess): Fault {
  return {
    name: `kill -9 ${name === 'realtime' ? 'gateway' : name}`,
    async inject({ platform }) {
      const { killedAt, detail } = await killAndAwaitRestart(platform, [name]);
      return { restoredAt: killedAt, downMs: 0, detail };
    },
  };
}

const restartPostgres: Fault = {
  name: 'pg_ctl restart -m immediate',
  async inject({ stack }) {
    const at = Date.now();
    await stack.restartPostgresImmediately();
    // pg_ctl returns once the server accepts connections again: recovery counts from there.
    const restoredAt = Date.now();
    return { restoredAt, downMs: restoredAt - at, detail: `pg_ctl restart took ${restoredAt - at} ms` };
  },
};

const restartRedis: Fault = {
  name: 'restart Redis',
  async inject({ stack, holdMs }) {
    const at = Date.now();
    await stack.stop('redis');
    await hold(holdMs);
    const restoredAt = Date.now();
    await stack.up();
    return {
      restoredAt,
      downMs: restoredAt - at,
      detail: `stopped (SIGTERM), down ${holdMs} ms, started by stackUp in ${Date.now() - restoredAt} ms`,
    };
  },
};

/** Every fault, by the name `--faults` takes. */
export const faults: Readonly<Record<string, Fault>> = {
  connect: killComponent('connect'),
  broker: killComponent('kafka'),
  notifications: killSupervised('notifications'),
  'cache-invalidation': killSupervised('cache-invalidation'),
  analytics: killSupervised('analytics'),
  gateway: killSupervised('realtime'),
  postgres: restartPostgres,
  redis: restartRedis,
};

/** The full form's order: one at a time, each left to recover before the next. */
export const allFaults = Object.keys(faults);
