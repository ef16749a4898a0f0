import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { ConfigError } from '../../core/errors.ts';
import type { KafkaClient } from '../../core/kafka/index.ts';
import type { SchemaRegistry } from '../../core/schema-registry.ts';
import { topics as allTopics, isEventType, type Topic } from '../../schemas/index.ts';
import type { EventDecoder } from '../decoder.ts';
import type { BlockedKeyStore } from './blocked-keys.ts';
import type { Handlers } from './handler.ts';
import { debounce, describe, hasFunctions, int, must, outageRetry, retry } from './option-schemas.ts';

const day = 86_400_000;

/**
 * How long dead-letter topics keep their records by default: 30 days. Long enough to notice,
 * fix and replay, where the broker default (7 days) would silently drop dead letters nobody
 * looked at for a week. `deadLetter.retentionMs` overrides it.
 */
export const defaultDeadLetterRetentionMs = 30 * day;
// Shorter than an hour is almost surely a unit mistake (seconds for milliseconds).
const minRetentionMs = 3_600_000;
const namePattern = /^[A-Za-z0-9._-]{1,200}$/;

const handlers = z.custom<Handlers>().superRefine((h, ctx) => {
  if (typeof h !== 'object' || h === null || Object.keys(h).length === 0) {
    ctx.addIssue(`must be an object with at least one handler, got ${describe(h)}`);
    return;
  }
  for (const [type, handler] of Object.entries(h)) {
    if (!isEventType(type))
      ctx.addIssue({
        code: 'custom',
        message: 'not an event type of the catalogue (schemas/catalogue.ts)',
        path: [type],
      });
    else if (typeof handler === 'object' && handler !== null) definitionIssues(type, handler, ctx);
    else if (typeof handler !== 'function')
      ctx.addIssue({
        code: 'custom',
        message: `must be a function or { handle, debounce }, got ${describe(handler)}`,
        path: [type],
      });
  }
});

/** The issues of a handler definition (`{ handle, debounce }`). */
function definitionIssues(type: string, definition: object, ctx: z.RefinementCtx): void {
  const { handle, debounce: options, ...rest } = definition as Record<string, unknown>;
  for (const name of Object.keys(rest))
    ctx.addIssue({ code: 'custom', message: 'not a handler option (handle, debounce)', path: [type, name] });
  if (typeof handle !== 'function')
    ctx.addIssue({
      code: 'custom',
      message: `must be a function, got ${describe(handle)}`,
      path: [type, 'handle'],
    });
  const parsed = debounce.safeParse(options);
  if (!parsed.success)
    for (const i of parsed.error.issues)
      ctx.addIssue({ code: 'custom', message: i.message, path: [type, 'debounce', ...i.path] });
}

/** Each debounced handler's valid `maxWaitMs`, by event type (invalid ones are reported already). */
function debounceWaits(h: Handlers | undefined): [string, number][] {
  if (typeof h !== 'object' || h === null) return [];
  return Object.entries(h).flatMap(([type, d]) => {
    const parsed = typeof d === 'object' ? debounce.safeParse(d.debounce) : undefined;
    return parsed?.success ? [[type, parsed.data.maxWaitMs] as [string, number]] : [];
  });
}

const retention = `milliseconds ≥ ${minRetentionMs} (1 hour), or -1 (forever)`;

/**
 * The options every consumer core takes, with their defaults: `defineConsumer` and
 * dead-letter replay parse theirs with this one schema (see {@link consumerOptionsSchema}).
 */
const consumerFields = z.object({
  /** Consumer group id: letters, digits, `.`, `_`, `-` (it also names the dead-letter topics). */
  group: z
    .string(must('letters, digits, ".", "_" or "-" (1 to 200)'))
    .regex(namePattern, must('letters, digits, ".", "_" or "-" (1 to 200)')),
  /** One handler per event type; the topics to read follow from these types. */
  handlers,
  /** The Kafka port (`createKafka(config.kafka)` from core/kafka). */
  kafka: z.custom<KafkaClient>(
    hasFunctions('groupConsumer', 'reader', 'producer', 'withAdmin'),
    must('a Kafka client (createKafka from core/kafka)'),
  ),
  /** The schema registry, for writer schemas by id (`createSchemaRegistry(config.registry)`). */
  registry: z
    .custom<Pick<SchemaRegistry, 'schemaById'>>(hasFunctions('schemaById'), must('a schema registry client'))
    .optional(),
  /** Decoder override (e.g. a reader schema other than the generated one); default from `registry`. */
  decoder: z.custom<EventDecoder>(hasFunctions('decode'), must('an event decoder')).optional(),
  /** Structured logger; default a pino logger at `info`. */
  logger: z.custom<Logger>(hasFunctions('child', 'info'), must('a pino logger')).optional(),
  /** Events handled at once over all keys and partitions (default 64). Same key: one, unless `ordering: 'none'`. */
  inFlight: int(1, 10_000).default(64),
  /**
   * `key` (default): one event of an aggregate at a time, in order. `none`: events run as
   * soon as there is room, whatever their key — only for handlers whose effects commute
   * and are idempotent (counters keyed by event id, as analytics'): a hot aggregate then
   * never holds the others back. Offsets are committed below every unfinished event either
   * way.
   */
  ordering: z.enum(['key', 'none'], must('one of key, none')).default('key'),
  /**
   * Retry policy of failing handlers; missing fields come from `defaultRetryPolicy`. Failures
   * that say a dependency is unavailable are not counted against it (see `outageRetry`).
   */
  retry,
  /**
   * Backoff while a dependency is down (`unavailableDependency`: PostgreSQL, Redis, SMTP, the
   * registry, the broker): retried without limit, never dead-lettered; missing fields come
   * from `defaultOutagePolicy` (0.2 s doubling up to 30 s).
   */
  outageRetry,
  /**
   * What a dead letter does to the rest of its aggregate: `continue` (default) processes the
   * key's later events; `block-key` sends them to the dead-letter topic too (reason `blocked`),
   * so the aggregate is never seen with a hole. See README.
   */
  orderingOnFailure: z
    .enum(['continue', 'block-key'], must('one of continue, block-key'))
    .default('continue'),
  /**
   * Where `block-key` keeps blocked keys: in this process (default) or in Postgres
   * (`createPgBlockedKeyStore(pool)`: survives restarts and partition moves).
   */
  blockedKeys: z
    .custom<BlockedKeyStore>(hasFunctions('load', 'block'), must('a BlockedKeyStore (load and block)'))
    .optional(),
  /**
   * How often (ms) a running `block-key` consumer reloads the blocked keys from `blockedKeys`,
   * so that a release (`npm run dlq -- release-key`) takes effect without a restart or
   * rebalance (default 10 s; 0: only when partitions are assigned).
   */
  blockedKeysRefreshMs: int(0, 3_600_000).default(10_000),
  /** Dead-letter topics (`<topic>.dlq.<group>`, created on first use). */
  deadLetter: z
    .object(
      {
        /**
         * `retention.ms` of the dead-letter topics (default 30 days; -1 keeps them forever). Set
         * when the framework creates a topic, and on an existing one that has no retention of its
         * own; a retention set on the topic is left as it is. Keep `processed_events` at least
         * this long (see README).
         */
        retentionMs: z
          .number(must(retention))
          .refine((ms) => ms === -1 || (Number.isSafeInteger(ms) && ms >= minRetentionMs), must(retention))
          .default(defaultDeadLetterRetentionMs),
      },
      must('an object'),
    )
    .default({ retentionMs: defaultDeadLetterRetentionMs }),
  /**
   * Where a new group starts: at the beginning of the topics, or (default false) at their end
   * as of when it first gets each partition. Either way that position is committed at once,
   * so a group stopped before it handled anything resumes from there (nothing written in
   * between is skipped). A group with commits always resumes from them.
   */
  fromBeginning: z.boolean(must('true or false')).default(false),
  /** How long shutdown and revocations wait for in-flight handlers (default 15 s). */
  drainTimeoutMs: int(0, 600_000).default(15_000),
  /** How long `start()` waits to join the group and commit its start positions (default 60 s). */
  startTimeoutMs: int(1, 600_000).default(60_000),
  /**
   * Liveness: a consumer that has work (lag or events in flight) and makes no progress (no
   * event finished, no offset committed) for this long, while it waits out no outage, is
   * `stalled`: `/health` answers 503 `unhealthy` and `npm start` restarts it (default 60 s;
   * 0: never). Longer than `drainTimeoutMs`, and than the slowest handler should take.
   */
  stallTimeoutMs: int(0, 3_600_000).default(60_000),
  /** Prometheus registry (default: a new one per consumer); share one between consumers of a process. */
  metricsRegistry: z
    .custom<Registry>(hasFunctions('metrics', 'getSingleMetric'), must('a prom-client Registry'))
    .optional(),
  /**
   * Physical topic names, when they differ from the catalogue's (an environment prefix, a
   * replay or test topic): `{ 'events.booking': 'staging.events.booking' }`.
   */
  topicNames: z
    .record(z.string(), z.string())
    .superRefine((names, ctx) => {
      for (const [topic, name] of Object.entries(names)) {
        if (!(allTopics as readonly string[]).includes(topic))
          ctx.addIssue({ code: 'custom', message: 'not a catalogue topic', path: [topic] });
        else if (!namePattern.test(name))
          ctx.addIssue({
            code: 'custom',
            message: `must be a topic name, got ${describe(name)}`,
            path: [topic],
          });
      }
    })
    .optional()
    .transform((t) => t as Partial<Record<Topic, string>> | undefined),
  /**
   * Kafka's group protocol: `classic` (JoinGroup/SyncGroup; default) or `consumer` (Kafka 4,
   * KIP-848: broker-side, incremental assignment).
   */
  protocol: z.enum(['consumer', 'classic'], must('one of consumer, classic')).default('classic'),
  /** How long one fetch waits for records (default 100 ms): the latency floor of an idle stream. */
  maxWaitMs: int(1, 30_000).default(100),
  /** Classic protocol: the member is dropped after this long without a heartbeat (default 30 s). */
  sessionTimeoutMs: int(1_000, 3_600_000).default(30_000),
  /** How long the group waits for this member to finish revoking (default 60 s). */
  rebalanceTimeoutMs: int(1_000, 3_600_000).default(60_000),
  /** Classic protocol: heartbeat period (default 3 s); the broker sets it under `consumer`. */
  heartbeatIntervalMs: int(50, 600_000).default(3_000),
});

type Fields = z.output<typeof consumerFields>;

type Durations =
  | 'heartbeatIntervalMs'
  | 'sessionTimeoutMs'
  | 'drainTimeoutMs'
  | 'rebalanceTimeoutMs'
  | 'stallTimeoutMs';

/** Rules across options, shared by every schema built from {@link consumerFields}. */
function crossFieldRules(o: Partial<Fields>, ctx: z.RefinementCtx): void {
  const issue = (path: keyof Fields, message: string) =>
    ctx.addIssue({ code: 'custom', message, path: [path] });
  const shorter = (a: Durations, b: Durations) => {
    const [x, y] = [o[a], o[b]];
    if (x !== undefined && y !== undefined && x >= y) issue(a, `must be shorter than ${b} (${y}), got ${x}`);
  };
  if (o.registry === undefined && o.decoder === undefined)
    issue('registry', 'must be a schema registry client (or pass decoder), got undefined');
  shorter('heartbeatIntervalMs', 'sessionTimeoutMs');
  if (o.ordering === 'none' && o.orderingOnFailure === 'block-key')
    issue(
      'orderingOnFailure',
      "must be 'continue' with ordering 'none' (a key without order has nothing to block), got block-key",
    );
  // A member that drains longer than the group waits for it is thrown out mid-drain.
  shorter('drainTimeoutMs', 'rebalanceTimeoutMs');
  // A drain is no progress: a consumer must not be called stalled while it drains.
  if (o.stallTimeoutMs !== 0) shorter('drainTimeoutMs', 'stallTimeoutMs');
  // A held window is no progress either: it must run before the consumer is called stalled.
  if (o.stallTimeoutMs !== undefined && o.stallTimeoutMs !== 0)
    for (const [type, wait] of debounceWaits(o.handlers))
      if (wait >= o.stallTimeoutMs)
        ctx.addIssue({
          code: 'custom',
          message: `must be shorter than stallTimeoutMs (${o.stallTimeoutMs}), got ${wait}`,
          path: ['handlers', type, 'debounce', 'maxWaitMs'],
        });
}

/** The one schema of `defineConsumer`'s options: validation, cross-field rules and defaults. */
export const consumerOptionsSchema = consumerFields.superRefine(crossFieldRules);

/** The options of a dead-letter replay: the group's own consumer options, and where to replay. */
export const replayOptionsSchema = consumerFields
  .omit({
    topicNames: true,
    fromBeginning: true,
    blockedKeys: true,
    blockedKeysRefreshMs: true,
    startTimeoutMs: true,
    stallTimeoutMs: true,
    protocol: true,
    sessionTimeoutMs: true,
    heartbeatIntervalMs: true,
    metricsRegistry: true,
  })
  .extend({
    /** `<topic>.dlq.<group>`, one of the group's dead-letter topics. */
    deadLetterTopic: z.string(must('a dead-letter topic name')),
    /** Start over from the first dead letter the topic holds (default: from the cursor). */
    fromStart: z.boolean(must('true or false')).default(false),
    /** Give up (committing what finished) after this long (default 10 minutes). */
    timeoutMs: int(1, 86_400_000).default(600_000),
  })
  .superRefine(crossFieldRules);

/** Options of `defineConsumer` (see consumers/README.md for each). */
export type ConsumerOptions = z.input<typeof consumerOptionsSchema>;
/** {@link ConsumerOptions} with every default filled in. */
export type ResolvedConsumerOptions = z.output<typeof consumerOptionsSchema>;

/**
 * Parses options with `schema`, naming every bad option at once.
 *
 * @throws ConfigError with one issue per bad option, each prefixed with `label`.
 */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown, label: string): z.output<S> {
  if (typeof options !== 'object' || options === null)
    throw new ConfigError([`${label} options: must be an object`]);
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((i) => `${label} ${i.path.join('.')}: ${i.message}`));
}
