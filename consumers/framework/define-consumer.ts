import type { Registry } from 'prom-client';
import { catalogue } from '../../schemas/index.ts';
import { createConsumerCore } from './consumer-core.ts';
import type { ConsumerInstrumentation } from './instrumentation.ts';
import { type ConsumerOptions, consumerOptionsSchema, parseOptions } from './options.ts';
import type { Outage } from './outages.ts';
import { type ConsumerState, createRunner } from './runner.ts';

export type { ConsumerOptions } from './options.ts';

/** What {@link Consumer.status} reports. */
export interface ConsumerStatus {
  group: string;
  state: ConsumerState;
  /** Partitions this member owns now, by topic. */
  assignment: Record<string, number[]>;
  /** Events being handled or waiting for their key. */
  inFlight: number;
  /** Events held in open debounce windows, waiting for their key to be quiet (not in flight). */
  held: number;
  lastBatchAt: Date | undefined;
  /**
   * What the consumer is waiting out, in words, if anything: a broker or coordinator its member
   * cannot reach (`kafka: …`), a dependency its events wait for (`postgres unavailable for 12 s
   * (40 events waiting): …`). Waited out, not a reason to restart it.
   */
  degraded: string | undefined;
  /** The dependencies its events are waiting out now (each retried without limit, never dead-lettered). */
  dependencies: Outage[];
  /**
   * Why it is stalled — it has work and made no progress for `stallTimeoutMs` — if it is:
   * `/health` answers 503 and `npm start` restarts it.
   */
  stalled: string | undefined;
}

/** A defined consumer: start it, stop it, watch it. */
export interface Consumer {
  readonly group: string;
  /** The topics it reads. */
  readonly topics: readonly string[];
  /**
   * Joins the group; resolves once the member has its partitions and each one's position is
   * committed (a new group's start position included) — from then on, nothing written to its
   * topics is missed. This is how a test waits for a group join.
   */
  start(): Promise<void>;
  /** Stops fetching, drains in-flight work (bounded), commits what is safe, leaves the group. */
  stop(): Promise<void>;
  /** Instrumentation events (`processed`, `dead-lettered`, `committed`, …). */
  readonly events: ConsumerInstrumentation;
  /** The Prometheus registry its metrics live in. */
  readonly metrics: Registry;
  status(): ConsumerStatus;
}

/**
 * Defines a consumer group: typed handlers per event type, topics derived from the
 * catalogue, ordered per aggregate, parallel across aggregates, at least once, with retries
 * and dead letters. Validates every option up front (one zod schema, see options.ts).
 *
 * @throws ConfigError naming each invalid option.
 * @example
 * const consumer = defineConsumer({
 *   group: 'notifications',
 *   kafka: createKafka(config.kafka),
 *   registry: createSchemaRegistry(config.registry),
 *   handlers: {
 *     'booking.confirmed': async (e, { logger }) => {
 *       await mailer.send(e.payload.guest.email, `Booking ${e.payload.reference} confirmed`);
 *     },
 *   },
 * });
 * await consumer.start();
 * shutdownOnSignals([consumer]);
 */
export function defineConsumer(options: ConsumerOptions): Consumer {
  const o = parseOptions(consumerOptionsSchema, options, 'defineConsumer');
  const core = createConsumerCore(o);
  const topics = [
    ...new Set(
      Object.keys(o.handlers).map((type) => {
        const topic = catalogue[type as keyof typeof catalogue].topic;
        return o.topicNames?.[topic] ?? topic;
      }),
    ),
  ];
  const runner = createRunner({
    ...o,
    core,
    topics,
    blockedKeysRefreshMs: o.orderingOnFailure === 'block-key' ? o.blockedKeysRefreshMs : 0,
  });

  return {
    group: o.group,
    topics,
    async start() {
      await core.deadLetters.connect();
      try {
        await runner.start();
      } catch (e) {
        await core.deadLetters.disconnect();
        throw e;
      }
    },
    async stop() {
      await runner.stop();
      await core.deadLetters.disconnect();
    },
    events: core.events,
    metrics: core.metricsRegistry,
    status: () => ({ group: o.group, ...runner.status() }),
  };
}
