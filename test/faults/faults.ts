import { waitFor } from '../../core/wait.ts';
import type { Platform, PlatformProcess } from './platform.ts';
import type { PrivateStack } from './private-stack.ts';

/** What a fault may touch. */
export interface FaultContext {
  stack: PrivateStack;
  platform: Platform;
  /** How long a component the suite restarts itself stays down (ms). */
  holdMs: number;
}

/** What an injected fault reports. */
export interface Injected {
  /** When the component was started again (or, for supervised processes, killed): recovery counts from here. */
  restoredAt: number;
  /** How long the component was down before the restart began (ms). */
  downMs: number;
  /** What was done, for the report. */
  detail: string;
}

/** One fault: injected once, under load, then left to recover. */
export interface Fault {
  name: string;
  inject(ctx: FaultContext): Promise<Injected>;
}

const hold = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** kill -9 a stack component, keep it down `holdMs`, start it again with the stack's own code. */
function killComponent(name: 'connect' | 'kafka'): Fault {
  return {
    name: `kill -9 ${name === 'kafka' ? 'broker' : 'Connect'}`,
    async inject({ stack, holdMs }) {
      const killedAt = Date.now();
      const pid = await stack.kill(name);
      // The outage itself is the fault: its length is a parameter, not a wait for a condition.
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

/** kill -9 a process `npm start` supervises: the supervisor must bring it back by itself. */
function killSupervised(name: PlatformProcess): Fault {
  return {
    name: `kill -9 ${name === 'realtime' ? 'gateway' : name}`,
    async inject({ platform }) {
      const pid = platform.kill(name);
      const killedAt = Date.now();
      const back = await waitFor(
        () => {
          const now = platform.pidOf(name);
          return now !== undefined && now !== pid ? now : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: `the supervisor to restart ${name}` },
      ).catch(() => undefined);
      return {
        restoredAt: killedAt,
        downMs: 0,
        detail: `pid ${pid} SIGKILLed; ${back ? `supervisor restarted it as pid ${back} after ${Date.now() - killedAt} ms` : 'NOT restarted within 60 s'}`,
      };
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
