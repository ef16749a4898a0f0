/**
 * The consumer framework: typed handlers per event type, per-aggregate order with
 * parallelism across aggregates, low-watermark commits, retries, dead letters, idempotency
 * helpers, metrics, health and graceful shutdown. See consumers/README.md.
 */

export type { BlockedKey, BlockedKeyStore } from './blocked-keys.ts';
export { createPgBlockedKeyStore, memoryBlockedKeyStore, releaseBlockedKey } from './blocked-keys.ts';
export type { DeadLetterFailure, DeadLetterReason, DeadLetterRecord } from './dead-letter.ts';
export { deadLetterHeaders, deadLetterMessage } from './dead-letter.ts';
export { originalRecord } from './dead-letter-source.ts';
export type { Consumer, ConsumerStatus } from './define-consumer.ts';
export { defineConsumer } from './define-consumer.ts';
export { unavailableDependency } from './dependency.ts';
export { commitGroupOffsets, resetGroupToEnd } from './group-offsets.ts';
export type {
  Coalesced,
  DebouncedContext,
  DebouncedHandler,
  DebounceOptions,
  Handler,
  HandlerContext,
  HandlerDefinition,
  HandlerResult,
  Handlers,
} from './handler.ts';
export { ack, skip } from './handler.ts';
export { createHealthApp, serveHealth } from './health.ts';
export type { IdempotencyTx, OnceResult, RedisIdempotency, RedisIdempotencyOptions } from './idempotency.ts';
export { claimEvent, createRedisIdempotency, IdempotencyPendingError, processOnce } from './idempotency.ts';
export type { ConsumerEventPayloads, ConsumerInstrumentation, RecordRef } from './instrumentation.ts';
export { ConsumerEvent } from './instrumentation.ts';
export type { KeyScheduler } from './key-scheduler.ts';
export { createKeyScheduler } from './key-scheduler.ts';
export type { LivenessSample, StallDetector } from './liveness.ts';
export { createStallDetector } from './liveness.ts';
export type { ConsumerMetrics } from './metrics.ts';
export { metricNames } from './metrics.ts';
export type { OffsetTracker } from './offset-tracker.ts';
export { createOffsetTracker } from './offset-tracker.ts';
export type { ConsumerOptions, ResolvedConsumerOptions } from './options.ts';
export { defaultDeadLetterRetentionMs } from './options.ts';
export type { Outage } from './outages.ts';
export type { OrderingOnFailure, RecordOutcome } from './process-record.ts';
export type { DeadLetterPartition, ReplayedRecord, ReplayOptions, ReplayReport } from './replay.ts';
export { deadLetterPartitions, replayDeadLetters } from './replay.ts';
export type { OutagePolicy, OutageStep, RetryOptions, RetryOutcome, RetryPolicy } from './retry.ts';
export { backoffDelay, defaultOutagePolicy, defaultRetryPolicy, isRetriable, withRetry } from './retry.ts';
export type { ConsumerState } from './runner.ts';
export type { ShutdownOptions, Stoppable } from './shutdown.ts';
export { shutdownOnSignals } from './shutdown.ts';
