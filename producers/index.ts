/**
 * Emitting events: typed, validated, Avro-encoded outbox rows written in the caller's
 * transaction. See producers/README.md for the wire contract.
 */

export type { ClaimOutcome, DispatchTiming } from './dispatch-timing.ts';
export { defaultDispatchTiming } from './dispatch-timing.ts';
export type { Dispatcher, DispatcherBackoff, DispatcherOptions, DispatcherStatus } from './dispatcher.ts';
export { createDispatcher, scheduledEventsChannel } from './dispatcher.ts';
export type { Emitter, EmitterOptions, Tx } from './emitter.ts';
export { createEmitter, maxEventBytes, SequenceConflictError } from './emitter.ts';
export type { AnyEmitInput, EmitInput, Emitted, TraceContext } from './envelope.ts';
export type { AnyPublishInput, Published, Publisher, PublisherOptions, PublishInput } from './publisher.ts';
export { createPublisher } from './publisher.ts';
export type { Scheduled, Scheduler, SchedulerOptions } from './schedule.ts';
export { createScheduler } from './schedule.ts';
export type {
  AnyScheduleItem,
  ScheduleInput,
  ScheduleItem,
  ScheduleOptions,
  ScheduleWhen,
} from './schedule-input.ts';
export type { SchemaIds } from './schema-ids.ts';
export { createSchemaIds } from './schema-ids.ts';
