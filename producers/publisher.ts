import { v7 as uuidv7 } from 'uuid';
import { envelopeHeaders } from '../connect/outbox-connector.ts';
import type { KafkaProducer } from '../core/kafka/index.ts';
import {
  aggregateIdField,
  catalogue,
  type EphemeralEventType,
  type Events,
  frame,
  isEventType,
} from '../schemas/index.ts';
import type { TraceContext } from './envelope.ts';
import { checkEvent } from './prepare.ts';
import type { SchemaIds } from './schema-ids.ts';

/** What a caller passes to `publish()` for one ephemeral event of type `K`. */
export interface PublishInput<K extends EphemeralEventType = EphemeralEventType> {
  type: K;
  /** The payload; its aggregate id field (e.g. `conversationId`) is the Kafka key. */
  payload: Events[K];
  /** Who caused it, e.g. `user:42`; the realtime gateway sets it from the token's subject. */
  actor?: string;
  trace?: TraceContext;
  /** When it happened; defaults to the time of the call. */
  occurredAt?: Date;
}

/** Any one ephemeral event. */
export type AnyPublishInput = { [K in EphemeralEventType]: PublishInput<K> }[EphemeralEventType];

/** Where `publish()` wrote an event. */
export interface Published {
  eventId: string;
  topic: string;
  partition: number;
  offset: bigint;
}

/** Options of {@link createPublisher}. */
export interface PublisherOptions {
  /** The Kafka port's producer (the caller owns and closes it). */
  producer: Pick<KafkaProducer, 'send'>;
  schemaIds: SchemaIds;
}

/**
 * The typed writer of ephemeral events (typing indicators, read receipts, reactions,
 * presence): validated and Avro-encoded like `emit()`'s, with the same envelope headers, but
 * written straight to their short-retention `ephemeral.<aggregate>` topic with the Kafka
 * port's producer — no database, no outbox, no per-aggregate sequence (the `sequence` header
 * is 0). Keyed by the payload's aggregate id field, so one conversation's events keep their
 * order. At most once from the caller's point of view: a failed send is reported, not retried.
 *
 * @example
 * const { publish } = createPublisher({ producer: kafka.producer(), schemaIds });
 * await publish({ type: 'chat.typing', payload: { conversationId, recipientIds: [bob], typing: true }, actor: 'user:ada' });
 */
export function createPublisher({ producer, schemaIds }: PublisherOptions) {
  /**
   * Validates and encodes an event without writing it.
   *
   * @throws as `checkEvent()` (producers/prepare.ts), the path every event takes:
   *   UnknownEventTypeError for a type the catalogue does not know; InvalidEventError naming
   *   every bad field, for an outbox (non-ephemeral) type, or for an event over the size limit.
   */
  function prepare(input: AnyPublishInput) {
    const type = (input as { type: unknown }).type;
    const entry = typeof type === 'string' && isEventType(type) ? catalogue[type] : undefined;
    // The key is the payload's aggregate id field (an outbox type has one too: checkEvent
    // refuses it by its type).
    const field = entry && aggregateIdField(entry.schema);
    const raw = input.payload as unknown;
    const aggregateId =
      field && typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[field] : undefined;
    const { body } = checkEvent({ ...input, aggregateId } as never, 'ephemeral', input.trace, {
      aggregatePath: field ? `payload.${field}` : undefined,
    });
    return {
      type: type as EphemeralEventType,
      topic: entry!.topic,
      aggregateType: entry!.aggregateType,
      aggregateId: aggregateId as string,
      body,
    };
  }

  return {
    prepare,

    /**
     * Validates, encodes and writes one ephemeral event; resolves once every in-sync replica
     * has it.
     *
     * @throws as {@link prepare} before anything is written; a KafkaError when the send fails.
     */
    async publish<K extends EphemeralEventType>(input: PublishInput<K>): Promise<Published> {
      const p = prepare(input as unknown as AnyPublishInput);
      const eventId = uuidv7();
      const headers: Record<string, string> = {
        [envelopeHeaders.eventId]: eventId,
        [envelopeHeaders.eventType]: p.type,
        [envelopeHeaders.aggregateType]: p.aggregateType,
        [envelopeHeaders.aggregateId]: p.aggregateId,
        [envelopeHeaders.sequence]: '0',
        [envelopeHeaders.occurredAt]: (input.occurredAt ?? new Date()).toISOString(),
      };
      if (input.actor !== undefined) headers[envelopeHeaders.actor] = input.actor;
      if (input.trace) {
        headers[envelopeHeaders.traceparent] = input.trace.traceparent;
        if (input.trace.tracestate) headers[envelopeHeaders.tracestate] = input.trace.tracestate;
      }
      const value = frame(await schemaIds.idFor(p.type), p.body);
      const [at] = await producer.send([{ topic: p.topic, key: p.aggregateId, value, headers }]);
      return { eventId, topic: p.topic, partition: at!.partition, offset: at!.offset };
    },
  };
}

/** The publisher {@link createPublisher} returns. */
export type Publisher = ReturnType<typeof createPublisher>;
