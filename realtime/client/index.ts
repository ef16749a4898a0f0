/**
 * The typed realtime client (browser and Node): EventSource-based, handlers typed from the
 * event map and the route table. Runtime code here imports nothing outside this folder, so
 * the gateway can serve it to browsers as is (types stripped).
 */

export type { MissingEventTypes } from './event-types.ts';
export { eventTypeNames } from './event-types.ts';
export type { SequenceVerdict } from './sequence-tracker.ts';
export { SequenceTracker } from './sequence-tracker.ts';
export type {
  AnyStreamEvent,
  DisconnectInfo,
  EventSourceConstructor,
  EventSourceLike,
  GapInfo,
  MessageEventLike,
  ResetInfo,
  StreamClient,
  StreamClientOptions,
  StreamEvent,
  StreamStatus,
} from './stream-client.ts';
export { createStreamClient } from './stream-client.ts';
