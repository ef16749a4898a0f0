import type { Component, OutstreamConfig } from '../../core/config.ts';
import { StackError } from '../../core/errors.ts';
import { waitFor } from '../../core/wait.ts';
import { captureHealth } from '../outbox/capture-health.ts';
import type { CaptureThresholds } from '../outbox/capture-problems.ts';
import type { ComponentRunner, StackContext } from './components/component.ts';
import { connect } from './components/connect.ts';
import { kafka, kafkaNodePids } from './components/kafka.ts';
import { postgres } from './components/postgres.ts';
import { redis } from './components/redis.ts';
import { registry } from './components/registry.ts';
import { smtp } from './components/smtp.ts';
import { findTools, requireTools } from './prerequisites.ts';
import { tail } from './processes.ts';

/** Every component, in start order. */
const runners: readonly ComponentRunner[] = [postgres, redis, kafka, smtp, registry, connect];

/**
 * What each component needs healthy before it starts: the registry stores its schemas in
 * PostgreSQL, Connect its state in Kafka. Everything else starts at once.
 */
const dependsOn: Partial<Record<Component, readonly Component[]>> = {
  registry: ['postgres'],
  connect: ['kafka'],
};

/** What `up` did with one component. */
export type UpOutcome = 'external' | 'reused' | 'started';

/** One line of `status`. */
export interface ComponentStatus {
  component: Component;
  url: string;
  managed: 'local' | 'external';
  pid: number | undefined;
  healthy: boolean;
  /** Kafka on the cluster profile: the pid of each node (undefined: not running). */
  nodes?: (number | undefined)[];
}

/**
 * Brings every local component up (idempotent: a running, healthy component is reused)
 * and waits for each to serve requests. External components are only checked.
 */
export async function stackUp(
  config: OutstreamConfig,
  log: (line: string) => void = () => {},
): Promise<Record<Component, UpOutcome>> {
  const local = runners.filter((r) => !config.stack.external[r.name]).map((r) => r.name);
  const ctx: StackContext = { config, tools: requireTools(findTools(), local) };
  const begun = Date.now();
  const ready = new Map<Component, Promise<UpOutcome>>();
  for (const runner of runners) {
    const deps = (dependsOn[runner.name] ?? []).map((d) => ready.get(d)!);
    const up = Promise.all(deps).then(async () => {
      const outcome = await bringUp(runner, ctx);
      const s = ((Date.now() - begun) / 1000).toFixed(1);
      log(`${runner.name.padEnd(9)} ${outcome.padEnd(8)} ${runner.url(config)} (ready at ${s} s)`);
      return outcome;
    });
    // A failure is reported once, by Promise.all below, not as an unhandled rejection.
    up.catch(() => {});
    ready.set(runner.name, up);
  }
  const outcomes = await Promise.all(runners.map((r) => ready.get(r.name)!));
  return Object.fromEntries(runners.map((r, i) => [r.name, outcomes[i]])) as Record<Component, UpOutcome>;
}

async function bringUp(runner: ComponentRunner, ctx: StackContext): Promise<UpOutcome> {
  const { config } = ctx;
  const check = () => runner.healthy(config);
  if (config.stack.external[runner.name]) {
    await waitFor(check, { timeoutMs: 10_000, what: `${runner.name} at ${runner.url(config)}` }).catch(
      (e) => {
        throw new StackError(
          runner.name,
          `external ${runner.name} is not reachable at ${runner.url(config)}`,
          {
            cause: e,
          },
        );
      },
    );
    return 'external';
  }
  let outcome: UpOutcome = 'reused';
  if (runner.runningPid(config) === undefined) {
    if (await check()) {
      throw new StackError(
        runner.name,
        `something this stack did not start already answers at ${runner.url(config)}: stop it, or point ` +
          'the matching variable (see `npm run -s stack:env`) at it to use it as an external service',
      );
    }
    try {
      await runner.start(ctx);
    } catch (e) {
      throw failure(runner, config, e instanceof Error ? e.message : String(e), e);
    }
    outcome = 'started';
  }
  try {
    await waitFor(check, {
      timeoutMs: runner.startTimeoutS * 1000,
      intervalMs: 250,
      what: `${runner.name} to become healthy`,
      abort: exitedSince(runner, config),
    });
  } catch (e) {
    throw failure(runner, config, (e as Error).message, e);
  }
  return outcome;
}

/**
 * The abort test of a start: "its process exited" once the process was seen running and is gone,
 * or when it never appeared within {@link pidGraceMs}. A daemonizing server (redis-server
 * --daemonize) writes its pid file a moment after its launcher returns, and a SIGKILLed
 * predecessor leaves a stale one behind: both read as "not running" until then, so a missing pid
 * right after the start is not yet an exit (the CI run of 2026-11-30 failed on exactly that).
 */
export function exitedSince(
  runner: Pick<ComponentRunner, 'runningPid'>,
  config: OutstreamConfig,
  now: () => number = Date.now,
): () => string | undefined {
  const started = now();
  let seen = false;
  return () => {
    if (runner.runningPid(config) !== undefined) {
      seen = true;
      return undefined;
    }
    if (seen) return 'its process exited';
    return now() - started > pidGraceMs
      ? `its process did not appear within ${pidGraceMs / 1000} s`
      : undefined;
  };
}

/** How long a started component may take to write its pid file. */
export const pidGraceMs = 10_000;

function failure(runner: ComponentRunner, config: OutstreamConfig, reason: string, cause: unknown) {
  const file = runner.logFile(config);
  return new StackError(runner.name, `${reason}\n--- last lines of ${file} ---\n${tail(file)}`, { cause });
}

/** Stops, in reverse start order, the components this stack started (or only `only`). */
export async function stackDown(
  config: OutstreamConfig,
  log: (line: string) => void = () => {},
  only?: readonly Component[],
): Promise<void> {
  // Dependents first (Connect before Kafka, the registry before PostgreSQL), then the rest.
  const dependents = runners.filter((r) => dependsOn[r.name] !== undefined);
  const others = runners.filter((r) => dependsOn[r.name] === undefined);
  for (const group of [dependents, others]) {
    await Promise.all(
      group
        .filter((r) => !config.stack.external[r.name] && (only === undefined || only.includes(r.name)))
        .map(async (runner) => log(`${runner.name.padEnd(9)} ${await runner.stop(config)}`)),
    );
  }
}

/** Each component's URL, who manages it and whether it answers. */
export async function stackStatus(config: OutstreamConfig): Promise<ComponentStatus[]> {
  return Promise.all(
    runners.map(async (r) => ({
      component: r.name,
      url: r.url(config),
      managed: config.stack.external[r.name] ? ('external' as const) : ('local' as const),
      pid: r.runningPid(config),
      healthy: await r.healthy(config),
      ...(r.name === 'kafka' && config.stack.kafkaNodes > 1 && !config.stack.external.kafka
        ? { nodes: kafkaNodePids(config) }
        : {}),
    })),
  );
}

/** The capture line of `status`: the outbox connector and its replication slot. */
export interface CaptureStatus {
  state: 'healthy' | 'UNHEALTHY' | 'unknown';
  summary: string;
  /** Each problem and what to do about it. */
  details: string[];
}

/**
 * Whether changes committed to the outbox are being published: every component may answer
 * while the connector's task has FAILED or its slot stopped advancing. Unknown while
 * PostgreSQL or Connect is down (their own lines say so).
 */
export async function captureStatus(
  config: OutstreamConfig,
  components: readonly ComponentStatus[],
  thresholds?: CaptureThresholds,
): Promise<CaptureStatus> {
  const needed = components.filter(
    (c) => (c.component === 'postgres' || c.component === 'connect') && !c.healthy,
  );
  if (needed.length > 0) {
    return {
      state: 'unknown',
      summary: `needs ${needed.map((c) => c.component).join(' and ')}`,
      details: [],
    };
  }
  const { facts, problems } = await captureHealth(
    {
      connectUrl: config.connect.url,
      connectorName: config.connect.connectorName,
      databaseUrl: config.database.url,
    },
    thresholds,
  );
  if (problems.length > 0) {
    return {
      state: 'UNHEALTHY',
      summary: `${facts.connector}: ${problems.length === 1 ? '1 problem' : `${problems.length} problems`}`,
      details: problems.flatMap((p) => [p.what, `  what to do: ${p.todo}`]),
    };
  }
  const slot = typeof facts.slot === 'object' && 'retainedBytes' in facts.slot ? facts.slot : undefined;
  const age =
    facts.committedChangeAt !== undefined && facts.now !== undefined
      ? `, newest change committed ${((facts.now - facts.committedChangeAt) / 1000).toFixed(1)} s ago`
      : '';
  const lag = slot ? `, ${(slot.retainedBytes / 1024 / 1024).toFixed(1)} MiB unconfirmed` : '';
  return {
    state: 'healthy',
    summary: `${facts.connector} running; slot ${facts.slotName} active${lag}${age}`,
    details: [],
  };
}
