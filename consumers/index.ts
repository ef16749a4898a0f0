/**
 * Consuming events: the decoder (framing → writer schema → the consumer's reader schema)
 * and the consumer framework every consumer group is built on. See consumers/README.md.
 */

export type { EventDecoder, EventDecoderOptions } from './decoder.ts';
export { createEventDecoder, eventTypeOf } from './decoder.ts';
export type {
  BlockedKey,
  BlockedKeyStore,
  Coalesced,
  Consumer,
  ConsumerEventPayloads,
  ConsumerInstrumentation,
  ConsumerOptions,
  ConsumerState,
  ConsumerStatus,
  DeadLetterFailure,
  DeadLetterPartition,
  DeadLetterReason,
  DebouncedContext,
  DebouncedHandler,
  DebounceOptions,
  Handler,
  HandlerContext,
  HandlerDefinition,
  HandlerResult,
  Handlers,
  OnceResult,
  OrderingOnFailure,
  RedisIdempotency,
  RedisIdempotencyOptions,
  ReplayedRecord,
  ReplayOptions,
  ReplayReport,
  RetryPolicy,
  Stoppable,
} from './framework/index.ts';
export {
  ack,
  ConsumerEvent,
  claimEvent,
  createHealthApp,
  createPgBlockedKeyStore,
  createRedisIdempotency,
  deadLetterHeaders,
  deadLetterPartitions,
  defaultRetryPolicy,
  defineConsumer,
  IdempotencyPendingError,
  metricNames,
  originalRecord,
  processOnce,
  releaseBlockedKey,
  replayDeadLetters,
  serveHealth,
  shutdownOnSignals,
  skip,
} from './framework/index.ts';
