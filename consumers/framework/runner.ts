import { ErrorCode, OutstreamError } from '../../core/errors.ts';
import {
  type GroupConsumer,
  type GroupProtocol,
  type KafkaAdmin,
  type KafkaClient,
  partitionsByTopic,
} from '../../core/kafka/index.ts';
import { type BatchLoop, createBatchLoop } from './batch-loop.ts';
import { boundedCommit } from './bounded-commit.ts';
import type { ConsumerCore } from './consumer-core.ts';
import { startLivenessMonitor } from './liveness-monitor.ts';
import { createMembership } from './membership.ts';
import type { Outage } from './outages.ts';

/** Where a consumer is in its life. */
export type ConsumerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';

/** What {@link createRunner} needs: the core, and the group options of `defineConsumer`. */
export interface RunnerDeps {
  core: ConsumerCore;
  kafka: KafkaClient;
  topics: readonly string[];
  fromBeginning: boolean;
  inFlight: number;
  /** `key`: one event per aggregate at a time; `none`: no key order (commutative handlers). */
  ordering: 'key' | 'none';
  drainTimeoutMs: number;
  startTimeoutMs: number;
  protocol: GroupProtocol;
  maxWaitMs: number;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** How often to reload blocked keys while running (releases apply without a rebalance); 0: never. */
  blockedKeysRefreshMs: number;
  /** Liveness: no progress with work for this long is a stall (0: never). */
  stallTimeoutMs: number;
  /** How long one offset commit may take before it counts as failed (default 10 s). */
  commitTimeoutMs?: number;
}

/**
 * Runs a consumer core as a member of its group: the port's group consumer decides what this
 * member owns; the membership listener sets each assigned partition's start (committed before
 * `start()` resolves) and drains revoked ones; the batch loop polls, schedules and commits.
 */
export function createRunner(deps: RunnerDeps) {
  const { core } = deps;
  const { group, logger, metrics, events } = core;
  let state: ConsumerState = 'idle';
  let consumer: GroupConsumer | undefined;
  let admin: KafkaAdmin | undefined;
  let loop: BatchLoop | undefined;
  let lastBatchAt: Date | undefined;
  let refresh: NodeJS.Timeout | undefined;
  let liveness: ReturnType<typeof startLivenessMonitor> | undefined;
  let stopped: Promise<void> | undefined;
  const commitTimeoutMs = deps.commitTimeoutMs ?? 10_000;

  async function start(): Promise<void> {
    if (state !== 'idle' && state !== 'stopped')
      throw new OutstreamError(ErrorCode.consumer, `consumer ${group} is ${state}`);
    state = 'starting';
    stopped = undefined;
    const a = deps.kafka.admin();
    admin = a;
    const commit = boundedCommit((o) => c.commit(o), commitTimeoutMs);
    const l = createBatchLoop({
      source: { poll: (signal) => c.poll(signal), commit, pause: (ps) => c.pause(ps) },
      scheduler: core.scheduler,
      inFlight: deps.inFlight,
      ordering: deps.ordering,
      process: core.process,
      ...(core.debounce ? { debounce: core.debounce } : {}),
      drainTimeoutMs: deps.drainTimeoutMs,
      logger,
      onBatch(batch) {
        lastBatchAt = new Date();
        const first = batch.records[0]?.offset ?? batch.nextOffset;
        metrics.lag.set(
          { group, topic: batch.topic, partition: batch.partition },
          Number(batch.highWatermark - first),
        );
      },
      onCommitted(offsets) {
        for (const o of offsets) {
          metrics.commits.inc({ group, topic: o.topic });
          metrics.lag.set({ group, topic: o.topic, partition: o.partition }, Number(o.lag));
          events.emit('committed', { topic: o.topic, partition: o.partition, offset: o.offset });
        }
      },
    });
    loop = l;
    const c: GroupConsumer = deps.kafka.groupConsumer({
      groupId: group,
      topics: deps.topics,
      protocol: deps.protocol,
      maxWaitMs: deps.maxWaitMs,
      sessionTimeoutMs: deps.sessionTimeoutMs,
      rebalanceTimeoutMs: deps.rebalanceTimeoutMs,
      heartbeatIntervalMs: deps.heartbeatIntervalMs,
      listener: createMembership({
        group,
        consumer: () => c,
        commit,
        admin: a,
        loop: l,
        fromBeginning: deps.fromBeginning,
        logger,
        events,
        metrics,
        onAssigned: () => core.processor.reloadBlocked(),
        closing: () => state === 'stopping',
      }),
    });
    consumer = c;
    let timer: NodeJS.Timeout | undefined;
    try {
      // Resolves once the first assignment's start positions are committed and sought.
      await Promise.race([
        c.start(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new OutstreamError(
                  ErrorCode.consumer,
                  `consumer ${group} did not join within ${deps.startTimeoutMs} ms`,
                ),
              ),
            deps.startTimeoutMs,
          );
        }),
      ]);
    } catch (e) {
      state = 'crashed';
      consumer = undefined;
      events.emit('crashed', { error: e, restart: false });
      await c.close().catch(() => {});
      await a.close().catch(() => {});
      throw isConsumerError(e)
        ? e
        : new OutstreamError(ErrorCode.consumer, `consumer ${group} cannot start: ${(e as Error).message}`, {
            cause: e,
          });
    } finally {
      clearTimeout(timer);
    }
    l.start();
    state = 'running';
    liveness = startLivenessMonitor({
      group,
      stallTimeoutMs: deps.stallTimeoutMs,
      logger,
      metrics,
      events,
      finished: () => core.finished(),
      admin: a,
      assignment: () => c.assignment(),
      sample: () => ({
        inFlight: core.scheduler.size(),
        waitingFor: waitingFor(c.health().degraded, core.outages.current()),
        memberState: c.health().state,
      }),
    });
    if (deps.blockedKeysRefreshMs > 0) {
      refresh = setInterval(() => void core.processor.refreshBlocked(), deps.blockedKeysRefreshMs);
      refresh.unref();
    }
  }

  function stop(): Promise<void> {
    if (!consumer || state === 'stopped' || state === 'idle') return stopped ?? Promise.resolve();
    if (stopped) return stopped;
    const c = consumer;
    const l = loop!;
    state = 'stopping';
    clearInterval(refresh);
    liveness?.stop();
    stopped = (async () => {
      // No new batches; then the member revokes everything (each partition drains, bounded by
      // drainTimeoutMs, and commits) and leaves the group. Bounded too: a member that cannot
      // leave (a broker down) must not keep the process from exiting.
      await l.stop();
      const closeBudgetMs = deps.drainTimeoutMs + 2 * commitTimeoutMs + 5_000;
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([
        c.close().then(
          () => true,
          (e: unknown) => {
            logger.warn({ err: e }, 'closing the group member failed');
            return true;
          },
        ),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), closeBudgetMs);
        }),
      ]);
      clearTimeout(timer);
      if (!closed) logger.error({ closeBudgetMs }, 'the group member did not close in time; leaving it');
      await admin?.close().catch(() => {});
      state = 'stopped';
      consumer = undefined;
    })();
    return stopped;
  }

  return {
    start,
    stop,
    status() {
      const dependencies = core.outages.current();
      return {
        state,
        assignment: partitionsByTopic(loop?.owned() ?? []),
        inFlight: core.scheduler.size(),
        held: loop?.held() ?? 0,
        lastBatchAt,
        degraded: waitingFor(consumer?.health().degraded, dependencies),
        dependencies,
        stalled: state === 'running' ? liveness?.stalled() : undefined,
      };
    },
  };
}

/** What a consumer waits out, in words: the broker (its member's report) and each dependency. */
function waitingFor(member: string | undefined, outages: readonly Outage[]): string | undefined {
  const parts = [
    ...(member !== undefined ? [`kafka: ${member}`] : []),
    ...outages.map(
      (o) =>
        `${o.dependency} unavailable for ${Math.round((Date.now() - o.since.getTime()) / 1000)} s ` +
        `(${o.waiting} events waiting): ${o.lastError}`,
    ),
  ];
  return parts.length > 0 ? parts.join('; ') : undefined;
}

const isConsumerError = (e: unknown) => e instanceof OutstreamError && e.code === ErrorCode.consumer;

/** The runner {@link createRunner} returns. */
export type Runner = ReturnType<typeof createRunner>;
