import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { type Logger, pino } from 'pino';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { loadConfig, type OutstreamConfig } from '../../core/config.ts';
import { ConfigError, isOutstreamError } from '../../core/errors.ts';
import { createKafka, type KafkaClient } from '../../core/kafka/index.ts';
import { createSchemaRegistry, type SchemaRegistry } from '../../core/schema-registry.ts';
import { startTracingFromEnv, type Tracing } from '../../core/telemetry/index.ts';
import {
  type Consumer,
  type ConsumerOptions,
  createHealthApp,
  defineConsumer,
  resetGroupToEnd,
  shutdownOnSignals,
} from '../framework/index.ts';

/** What a group's `build` gets: parsed settings and the shared clients of the process. */
export interface GroupContext {
  config: OutstreamConfig;
  /** The process environment, for the group's own variables (parse them with zod). */
  env: Record<string, string | undefined>;
  /** The Kafka port of the process (core/kafka). */
  kafka: KafkaClient;
  registry: SchemaRegistry;
  /** The Prometheus registry the consumer's metrics live in: register the group's own here. */
  metricsRegistry: Registry;
  logger: Logger;
}

/** What a group's `build` returns. */
export interface BuiltGroup {
  /** Handlers and tuning; group, kafka, registry, logger and metrics come from the runtime. */
  options: Omit<ConsumerOptions, 'group' | 'kafka' | 'registry' | 'logger' | 'metricsRegistry'>;
  /** Extra HTTP routes served beside /health and /metrics (e.g. the analytics API). */
  routes?: Hono;
  /** Closes what `build` opened (pools, connections); runs after the consumer stopped. */
  close(): Promise<void>;
}

/** A consumer group as a runnable: one folder under consumers/, one of these in its `definition.ts`. */
export interface GroupDefinition {
  /** The consumer group id (and the `npm run consumer -- <name>` name). */
  name: string;
  /**
   * Default port of its health/metrics server, an entry of `localPorts` (shifted by
   * OUTSTREAM_PORT_OFFSET; OUTSTREAM_HEALTH_PORT overrides; busy → any free port; 0 → any).
   */
  healthPort: number;
  /**
   * Where a brand-new group starts: `end` (only events written from now on, e.g. no week-old
   * emails on a first deploy) or `beginning` (everything the topics still hold).
   */
  startAt: 'end' | 'beginning';
  build(ctx: GroupContext): Promise<BuiltGroup>;
}

/** A started group. */
export interface RunningGroup {
  consumer: Consumer;
  /** Port of its health/metrics (and extra routes) server. */
  port: number;
  logger: Logger;
  /** Drains and stops the consumer, then the server, then the group's resources. */
  stop(): Promise<void>;
}

const runtimeEnv = z.object({
  OUTSTREAM_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  OUTSTREAM_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
  OUTSTREAM_START_AT: z.enum(['end', 'beginning']).optional(),
  OUTSTREAM_GROUP_SUFFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,50}$/)
    .optional(),
});

/** Options of {@link startGroup}, mostly for tests and benchmarks. */
export interface StartGroupOptions {
  env?: Record<string, string | undefined>;
  /** Another group id (tests use a fresh one so that no other process shares their partitions). */
  group?: string;
  logger?: Logger;
  /** Overrides merged over what `build` returned (e.g. `fromBeginning`, `retry`). */
  overrides?: Partial<BuiltGroup['options']>;
  /** Health server port; default the definition's (or OUTSTREAM_HEALTH_PORT). */
  healthPort?: number;
  /**
   * Move the group's committed offsets to the end of its topics before joining (tests and
   * benchmarks reusing a group id); the group must have no running member.
   */
  resetToEnd?: boolean;
}

/**
 * Builds and starts a group in this process: config parsed once, the group's clients built,
 * the consumer joined, and its health/metrics server listening.
 *
 * @throws ConfigError naming every bad variable.
 */
export async function startGroup(def: GroupDefinition, o: StartGroupOptions = {}): Promise<RunningGroup> {
  const env = o.env ?? process.env;
  const config = loadConfig(env);
  const parsed = runtimeEnv.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v)));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const startAt = e.OUTSTREAM_START_AT ?? def.startAt;
  const group = o.group ?? (e.OUTSTREAM_GROUP_SUFFIX ? `${def.name}.${e.OUTSTREAM_GROUP_SUFFIX}` : def.name);
  // The framework adds `group` to every line it logs.
  const logger = o.logger ?? pino({ level: e.OUTSTREAM_LOG_LEVEL ?? 'info' });
  const kafka = createKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-${def.name}` });
  const registry = createSchemaRegistry({ url: config.registry.url });
  const metricsRegistry = new Registry();
  const built = await def.build({ config, env, kafka, registry, metricsRegistry, logger });
  let consumer: Consumer;
  try {
    consumer = defineConsumer({
      fromBeginning: startAt === 'beginning',
      ...built.options,
      ...o.overrides,
      group,
      kafka,
      registry,
      logger,
      metricsRegistry,
    });
    // A new group's start positions are committed by the framework as it first gets them.
    if (o.resetToEnd) await resetGroupToEnd(kafka, group, consumer.topics);
    await consumer.start();
  } catch (err) {
    await built.close().catch(() => {});
    throw err;
  }
  const app = createHealthApp([consumer]);
  if (built.routes) app.route('/', built.routes);
  const port = o.healthPort ?? e.OUTSTREAM_HEALTH_PORT ?? defaultHealthPort(def, config);
  const server = await listen(app, port, logger);
  const bound = (server.address() as AddressInfo).port;
  logger.info(
    { group, topics: consumer.topics, health: `http://127.0.0.1:${bound}/health` },
    `${group} running`,
  );
  let stopping: Promise<void> | undefined;
  return {
    consumer,
    port: bound,
    logger,
    stop() {
      stopping ??= (async () => {
        await consumer.stop();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await built.close();
      })();
      return stopping;
    },
  };
}

/** A group's health port as `npm start` runs it: its default shifted by OUTSTREAM_PORT_OFFSET. */
export function defaultHealthPort(def: GroupDefinition, config: OutstreamConfig): number {
  return def.healthPort === 0 ? 0 : def.healthPort + config.stack.portOffset;
}

function listen(app: Hono, port: number, logger: Logger) {
  return new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      // Another process of the same group holds the default port: scale-out still works.
      if (err.code === 'EADDRINUSE' && port !== 0) {
        logger.warn({ port }, 'health port busy; using a free one');
        resolve(listen(app, 0, logger));
      } else reject(err);
    });
  });
}

/**
 * The body of a group's `main.ts`: starts it, stops it cleanly on SIGTERM/SIGINT (a second
 * signal exits at once). A group that cannot start because something it needs is not there
 * yet (the broker down, a stack still starting) tries again, 1 s doubling to 30 s, for as long
 * as it takes: a dependency restarting must not leave a group down. Only bad settings
 * (`ConfigError`) exit, with status 1 and a readable message.
 */
export function runGroupMain(def: GroupDefinition): void {
  // Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; then every handler's span is exported.
  let tracing: Tracing | undefined;
  startTracingFromEnv(process.env, `outstream-${def.name}`)
    .then((t) => {
      tracing = t;
      return startWithRetry(def);
    })
    .then(
      (running) => {
        // The group drains first, then the spans of what it finished are exported.
        const stop = async () => {
          try {
            await running.stop();
          } finally {
            await tracing?.shutdown();
          }
        };
        shutdownOnSignals([{ stop }], { logger: running.logger });
        // Started by a supervisor (`npm start`) with an IPC channel: stop when it goes away, and
        // tell it where /health listens (it restarts a group that stays stalled).
        if (process.send) {
          process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
          process.send({ type: 'outstream:health', port: running.port });
        }
      },
      (err: unknown) => {
        console.error(`${def.name}: ${describe(err)}`);
        process.exit(1);
      },
    );
}

async function startWithRetry(def: GroupDefinition): Promise<RunningGroup> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startGroup(def);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      const delayMs = Math.min(30_000, 1_000 * 2 ** Math.min(attempt - 1, 5));
      console.error(
        `${def.name}: cannot start yet (attempt ${attempt}): ${describe(err)}; retrying in ${delayMs / 1000} s`,
      );
      await sleep(delayMs);
    }
  }
}

const describe = (err: unknown) =>
  isOutstreamError(err) ? err.message : ((err as Error)?.stack ?? String(err));
