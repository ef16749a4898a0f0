import type { Events, EventType } from './generated/events.ts';

/** The envelope every event carries (outbox columns, Kafka headers on the wire). */
export interface EventEnvelope {
  /** Event id, a UUIDv7. */
  id: string;
  type: EventType;
  aggregateType: string;
  aggregateId: string;
  /** Per-aggregate sequence number: 1, 2, 3… without gaps. */
  sequence: number;
  occurredAt: Date;
  actor: string | null;
  trace: { traceparent: string; tracestate: string | null } | null;
}

/** Where a consumed event sits in Kafka. */
export interface KafkaCoordinates {
  topic: string;
  partition: number;
  /** The record offset (Kafka offsets are 64-bit: a bigint, as everywhere in Outstream). */
  offset: bigint;
  /** Record timestamp (ms since epoch). */
  timestamp: number;
}

/**
 * One event of type `K` as a consumer receives it: the envelope, the payload typed by the
 * event map, and its Kafka coordinates.
 */
export interface EventOf<K extends EventType = EventType> extends EventEnvelope {
  type: K;
  payload: Events[K];
  kafka: KafkaCoordinates;
}

/** Any event: the union of {@link EventOf} over every event type (narrow it on `type`). */
export type AnyEvent = { [K in EventType]: EventOf<K> }[EventType];

/** Exhaustiveness check for switches over event types. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
