import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { ErrorCode, OutstreamError } from '../../core/errors.ts';
import { waitFor } from '../../core/wait.ts';
import type { ConsumerInstrumentation } from './instrumentation.ts';
import type { KeyScheduler } from './key-scheduler.ts';
import type { ConsumerMetrics } from './metrics.ts';
import { createOffsetTracker } from './offset-tracker.ts';
import type { RecordProcessor } from './process-record.ts';
import { whenReady } from './readiness.ts';
import { createStartPositions } from './start-positions.ts';

/** Settings of the underlying kafkajs consumer that a consumer may tune. */
export type KafkaConsumerTuning = Partial<
  Pick<
    ConsumerConfig,
    | 'sessionTimeout'
    | 'rebalanceTimeout'
    | 'heartbeatInterval'
    | 'maxBytesPerPartition'
    | 'maxBytes'
    | 'maxWaitTimeInMs'
    | 'minBytes'
  >
> & { partitionsConsumedConcurrently?: number };

/** Where a consumer is in its life. */
export type ConsumerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';

/** What {@link createRunner} needs. */
export interface RunnerDeps {
  group: string;
  kafka: Kafka;
  topics: readonly string[];
  fromBeginning: boolean;
  scheduler: KeyScheduler;
  processor: RecordProcessor;
  metrics: ConsumerMetrics;
  events: ConsumerInstrumentation;
  logger: Logger;
  /** How long a shutdown or rebalance waits for in-flight handlers before abandoning them. */
  drainTimeoutMs: number;
  startTimeoutMs: number;
  tuning: KafkaConsumerTuning;
  /**
   * Where to stop reading a partition (dead-letter replays stop at the end they saw): records
   * at or past this offset are not started, and the partition is paused there. Undefined
   * (the default, and for any partition it returns undefined for): read on forever.
   */
  stopAt?: (topic: string, partition: number) => bigint | undefined;
  /**
   * How often to refresh the blocked keys while running (releases take effect without a
   * rebalance). Undefined or 0: only when joining.
   */
  blockedKeysRefreshMs?: number;
}

// Errors after which this member's generation is over (or about to be): stop, then rejoin.
const groupChangeErrors = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);
const outOfGeneration = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);
const errorType = (e: unknown) => (e as { type?: unknown } | null)?.type;
// Heartbeat and low-watermark commit cadence while a batch runs (kafkajs throttles heartbeats itself).
const tick = 250;

/**
 * The loop: kafkajs `eachBatch` with auto-resolve and auto-commit off. Each batch's records
 * are handed to the key scheduler in offset order (parallel across keys, serial per key);
 * while they run the batch heartbeats, and commits the partition's low watermark — never
 * past an unfinished record. A rebalance or shutdown stops new work, drains in-flight
 * handlers up to a deadline and commits what finished; a batch whose generation is over, whose
 * partition was revoked or sought elsewhere commits nothing (kafkajs #1046).
 */
export function createRunner(deps: RunnerDeps) {
  const { group, logger, metrics, events, scheduler } = deps;
  let consumer: Consumer | undefined;
  let state: ConsumerState = 'idle';
  // Bumped whenever the membership changes: a batch only commits in the epoch it began in.
  let epoch = 0;
  let assignment = new Map<string, Set<number>>();
  let draining = false;
  let groupError: unknown;
  let lastBatchAt: Date | undefined;
  const active = new Set<Promise<void>>();
  // Every partition of a generation has a committed offset before any of its records is
  // handled (a new group's start position included): see start-positions.ts.
  const starts = createStartPositions({
    kafka: deps.kafka,
    group,
    fromBeginning: deps.fromBeginning,
    logger,
    onError: (e) => onGroupError(e),
  });
  let refreshTimer: NodeJS.Timeout | undefined;
  const stopRefreshing = () => {
    clearInterval(refreshTimer);
    refreshTimer = undefined;
  };

  const isAssigned = (topic: string, partition: number) => assignment.get(topic)?.has(partition) ?? false;

  function startDrain(reason: string) {
    if (draining) return;
    draining = true;
    logger.info({ reason }, 'draining in-flight events');
    if (reason !== 'shutdown') events.emit('rebalancing', { reason });
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const run = processBatch(payload);
    active.add(run);
    try {
      await run;
    } finally {
      active.delete(run);
    }
    // Let kafkajs rejoin at once rather than on its next heartbeat.
    if (groupError !== undefined) throw groupError;
  }

  async function processBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
    pause,
  }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const batchEpoch = epoch;
    lastBatchAt = new Date();
    const fenced = () => epoch !== batchEpoch || !isRunning() || isStale() || !isAssigned(topic, partition);
    const stop = new AbortController();
    const abort = new AbortController();
    let stoppedAt = 0;
    const stopping = () => {
      if (!stop.signal.aborted && (draining || fenced())) {
        stoppedAt = Date.now();
        stop.abort();
      }
      return stop.signal.aborted;
    };
    if (stopping()) return;
    if (!(await starts.settled(heartbeat, stopping, tick))) return;
    const high = BigInt(batch.highWatermark);
    metrics.lag.set(
      { group, topic, partition },
      Number(high - BigInt(batch.firstOffset() ?? batch.highWatermark)),
    );

    const tracker = createOffsetTracker();
    let scheduledAll = true;
    const tasks: Promise<void>[] = [];
    const stopAt = deps.stopAt?.(topic, partition);
    for (const message of batch.messages) {
      if (stopping()) {
        scheduledAll = false;
        break;
      }
      if (stopAt !== undefined && BigInt(message.offset) >= stopAt) {
        // Fetching stops here; what was started below still commits (its low watermark).
        pause();
        scheduledAll = false;
        break;
      }
      tracker.add(message.offset);
      // Null keys have no order of their own: keep them in partition order.
      const key = `${topic}\u0000${message.key === null ? `#${partition}` : message.key.toString()}`;
      const task = scheduler.schedule(key, async () => {
        if (stopping()) return;
        metrics.inFlight.inc({ group });
        try {
          const outcome = await deps.processor.process(
            { topic, partition, message },
            { stop: stop.signal, abort: abort.signal },
          );
          if (outcome !== 'abandoned') tracker.complete(message.offset);
        } finally {
          metrics.inFlight.dec({ group });
        }
      });
      tasks.push(
        task.catch((e: unknown) =>
          logger.error({ err: e, topic, partition, offset: message.offset }, 'bug: task failed'),
        ),
      );
    }

    let committed = BigInt(batch.firstOffset() ?? batch.highWatermark);
    const commit = async (offset: bigint) => {
      if (offset <= committed || fenced()) return;
      // Also moves kafkajs's fetch position, which follows the resolved offset.
      resolveOffset((offset - 1n).toString());
      try {
        await commitOffsetsIfNecessary({
          topics: [{ topic, partitions: [{ partition, offset: offset.toString() }] }],
        });
        committed = offset;
        metrics.commits.inc({ group, topic });
        metrics.lag.set({ group, topic, partition }, Number(high > offset ? high - offset : 0n));
        events.emit('committed', { topic, partition, offset: offset.toString() });
      } catch (e) {
        onGroupError(e);
        logger.warn({ err: e, topic, partition, offset: offset.toString() }, 'offset commit failed');
      }
    };

    let settled = false;
    const all = Promise.all(tasks).then(() => {
      settled = true;
    });
    while (!settled) {
      await Promise.race([all, sleep(tick)]);
      if (settled) break;
      try {
        await heartbeat();
      } catch (e) {
        onGroupError(e);
      }
      if (stopping() && Date.now() - stoppedAt > deps.drainTimeoutMs) {
        // Past the deadline: leave the stragglers running (their signal fires), commit below them.
        abort.abort();
        logger.warn({ topic, partition, pending: tracker.pending() }, 'drain deadline passed; abandoning');
        break;
      }
      if (!stopping()) await commit(tracker.watermark() ?? committed);
    }
    if (fenced()) return;
    const finished = scheduledAll && tracker.pending() === 0 && batch.messages.length > 0;
    // A finished batch commits past its last offset, control records included.
    await commit(finished ? BigInt(batch.lastOffset()) + 1n : (tracker.watermark() ?? committed));
  }

  function onGroupError(e: unknown) {
    const type = errorType(e);
    if (typeof type !== 'string' || !groupChangeErrors.has(type)) {
      logger.warn({ err: e }, 'heartbeat failed');
      return;
    }
    groupError = e;
    // Out of the generation: nothing of the current batches may be committed any more.
    if (outOfGeneration.has(type)) epoch++;
    startDrain(type);
  }

  async function start(): Promise<void> {
    if (state !== 'idle' && state !== 'stopped')
      throw new OutstreamError(ErrorCode.consumer, `consumer ${group} is ${state}`);
    state = 'starting';
    draining = false;
    stopped = undefined;
    const { partitionsConsumedConcurrently = 32, ...tuning } = deps.tuning;
    const c = deps.kafka.consumer({
      maxWaitTimeInMs: 500,
      ...tuning,
      groupId: group,
      allowAutoTopicCreation: false,
    });
    consumer = c;
    let joinedOnce = false;
    c.on(c.events.GROUP_JOIN, ({ payload }) => {
      epoch++;
      assignment = new Map(Object.entries(payload.memberAssignment).map(([t, ps]) => [t, new Set(ps)]));
      draining = state === 'stopping';
      groupError = undefined;
      // Blocked keys of partitions that just moved here were recorded by their last owner.
      deps.processor.reloadBlocked();
      const joinEpoch = epoch;
      starts.joined(c, payload.memberAssignment, joinEpoch, () => epoch === joinEpoch && !draining);
      if (joinedOnce) metrics.rebalances.inc({ group });
      joinedOnce = true;
      logger.info({ memberId: payload.memberId, assignment: payload.memberAssignment }, 'joined group');
      events.emit('joined', { memberId: payload.memberId, assignment: payload.memberAssignment });
    });
    c.on(c.events.REBALANCING, () => {
      epoch++;
      startDrain('rebalancing');
    });
    c.on(c.events.CRASH, ({ payload }) => {
      epoch++;
      logger.error({ err: payload.error, restart: payload.restart }, 'kafka consumer crashed');
      if (!payload.restart) {
        state = 'crashed';
        stopRefreshing();
      }
      events.emit('crashed', { error: payload.error, restart: payload.restart });
    });
    const ready = whenReady(c, group, deps.startTimeoutMs);
    // Awaited below; if connecting fails first, its later rejection must not go unhandled.
    ready.catch(() => {});
    const startedAt = Date.now();
    try {
      await c.connect();
      await c.subscribe({ topics: [...deps.topics], fromBeginning: deps.fromBeginning });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently,
        eachBatch,
      });
      await ready;
      // Started means every assigned partition has a committed position to resume from.
      await waitFor(() => starts.committedFor(epoch), {
        timeoutMs: Math.max(1, deps.startTimeoutMs - (Date.now() - startedAt)),
        intervalMs: 20,
        what: 'the start positions of its partitions',
        abort: () => (state === 'crashed' ? 'the kafka consumer crashed' : undefined),
      }).catch((e: unknown) => {
        throw new OutstreamError(ErrorCode.consumer, `consumer ${group}: ${(e as Error).message}`, {
          cause: e,
        });
      });
      state = 'running';
      if (deps.blockedKeysRefreshMs) {
        refreshTimer = setInterval(() => void deps.processor.refreshBlocked(), deps.blockedKeysRefreshMs);
        refreshTimer.unref();
      }
    } catch (e) {
      state = 'crashed';
      await c.disconnect().catch(() => {});
      await starts.close();
      throw e;
    }
  }

  let stopped: Promise<void> | undefined;
  function stop(): Promise<void> {
    if (!consumer || state === 'stopped') return stopped ?? Promise.resolve();
    if (state === 'stopping' && stopped) return stopped;
    state = 'stopping';
    stopRefreshing();
    startDrain('shutdown');
    const c = consumer;
    stopped = (async () => {
      // Batches drain (bounded by drainTimeoutMs) and commit while the membership is still
      // valid; only then does kafkajs stop fetching and leave the group.
      await Promise.race([Promise.allSettled([...active]), sleep(deps.drainTimeoutMs + 2 * tick)]);
      await c.disconnect();
      await starts.close();
      state = 'stopped';
      consumer = undefined;
    })();
    return stopped;
  }

  return {
    start,
    stop,
    status: () => ({
      state,
      assignment: Object.fromEntries([...assignment].map(([t, ps]) => [t, [...ps].sort((a, b) => a - b)])),
      inFlight: scheduler.size(),
      lastBatchAt,
    }),
  };
}

/** The runner {@link createRunner} returns. */
export type Runner = ReturnType<typeof createRunner>;
