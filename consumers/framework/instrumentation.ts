import { EventEmitter } from 'node:events';
import type { EventType } from '../../schemas/index.ts';

/** Names of the instrumentation events a consumer emits. */
export const ConsumerEvent = {
  /** A handler finished an event (ack or skip). */
  processed: 'processed',
  /** An event was not given to a handler (no handler for its type, handler skip excluded). */
  unhandled: 'unhandled',
  /** A handler attempt failed and will be retried. */
  retry: 'retry',
  /** A record went to the dead-letter topic. */
  deadLettered: 'dead-lettered',
  /** The low watermark of a partition was committed. */
  committed: 'committed',
  /** Partitions were assigned to the consumer (their start positions are committed). */
  joined: 'joined',
  /** Partitions are being revoked (`revoked`: in-flight work drains, queued work is left for the next owner) or were lost (`lost`). */
  rebalancing: 'rebalancing',
  /** The consumer failed for good (it could not start, or its loop broke). */
  crashed: 'crashed',
} as const;
export type ConsumerEvent = (typeof ConsumerEvent)[keyof typeof ConsumerEvent];

/** Where an event sits, as instrumentation payloads name it. */
export interface RecordRef {
  topic: string;
  partition: number;
  offset: bigint;
  key: string | null;
}

/** The payload of each instrumentation event. */
export interface ConsumerEventPayloads {
  processed: RecordRef & {
    eventId: string;
    eventType: EventType;
    aggregateId: string;
    sequence: number;
    result: 'ack' | 'skip';
    attempts: number;
    durationMs: number;
  };
  unhandled: RecordRef & { eventType: string | undefined };
  retry: RecordRef & { eventType: string | undefined; attempt: number; delayMs: number; error: unknown };
  'dead-lettered': RecordRef & {
    reason: string;
    deadLetterTopic: string;
    eventId: string | undefined;
    error: unknown;
    attempts: number;
  };
  committed: { topic: string; partition: number; offset: bigint };
  /** `assignment`: every partition the member owns now, by topic. */
  joined: { memberId: string; assignment: Record<string, number[]> };
  /** `reason`: `revoked` or `lost`. */
  rebalancing: { reason: 'revoked' | 'lost' };
  crashed: { error: unknown; restart: boolean };
}

/** A typed event emitter of {@link ConsumerEventPayloads}. */
export interface ConsumerInstrumentation {
  on<E extends ConsumerEvent>(event: E, listener: (payload: ConsumerEventPayloads[E]) => void): () => void;
  emit<E extends ConsumerEvent>(event: E, payload: ConsumerEventPayloads[E]): void;
  /** Whether anyone listens to `event`: a payload built per record is built only then. */
  listening(event: ConsumerEvent): boolean;
}

/** Creates the instrumentation emitter; `on` returns a function that removes the listener. */
export function createInstrumentation(): ConsumerInstrumentation {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    on(event, listener) {
      emitter.on(event, listener);
      return () => emitter.off(event, listener);
    },
    emit(event, payload) {
      emitter.emit(event, payload);
    },
    listening: (event) => emitter.listenerCount(event) > 0,
  };
}
