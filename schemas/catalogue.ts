import { UnknownEventTypeError } from '../core/errors.ts';
// The naming rules alone (pure): schemas never import the Kafka client.
import { ephemeralTopic, eventTopic } from '../core/kafka/names.ts';
import type { AvroRecordSchema } from './avro-schema.ts';
import { fullNameOf } from './avro-schema.ts';
import { type EventType, eventSchemas } from './generated/events.ts';

/**
 * The aggregate type of every event type: the outbox `aggregate_type` column, which the
 * Debezium Outbox Event Router turns into the topic `events.<aggregate>`. Adding an event
 * type is one `.avsc` under `schemas/avro/<aggregate>/` plus one line here (then
 * `npm run schemas:generate`); the compiler rejects a missing, extra or mismatched line.
 */
const aggregateOf = {
  'booking.created': 'booking',
  'booking.confirmed': 'booking',
  'booking.cancelled': 'booking',
  'booking.room_assigned': 'booking',
  'booking.checked_in': 'booking',
  'booking.checked_out': 'booking',
  'booking.reminder_due': 'booking',
  'booking.follow_up_due': 'booking',
  'booking.dates_changed': 'booking',
  'room.status_changed': 'room',
  'room.occupancy_changed': 'room',
  'message.created': 'message',
  'message.edited': 'message',
  'message.deleted': 'message',
  'user.registered': 'user',
  'user.profile_updated': 'user',
  'notification.created': 'notification',
  'chat.typing': 'chat',
  'chat.read': 'chat',
  'chat.reaction': 'chat',
  'presence.joined': 'presence',
  'presence.left': 'presence',
} as const satisfies { [K in EventType]: K extends `${infer A}.${string}` ? A : never };

/** An aggregate type, e.g. `booking`: one topic, one key space, one order per aggregate id. */
export type AggregateType = (typeof aggregateOf)[EventType];

/**
 * Aggregates whose events are ephemeral: published straight to Kafka with `publish()` (no
 * database write, no outbox, no sequence), on short-retention `ephemeral.<aggregate>` topics.
 * Typing indicators, read receipts, reactions; presence, which the realtime gateway writes.
 */
export const ephemeralAggregateTypes = ['chat', 'presence'] as const satisfies readonly AggregateType[];

/** An aggregate type whose events are ephemeral. */
export type EphemeralAggregateType = (typeof ephemeralAggregateTypes)[number];

/** An event type that is ephemeral (`publish()`, never `emit()`). */
export type EphemeralEventType = {
  [K in EventType]: (typeof aggregateOf)[K] extends EphemeralAggregateType ? K : never;
}[EventType];

/** An event type written through the outbox (`emit()`, `schedule()`): every type but the ephemeral ones. */
export type OutboxEventType = Exclude<EventType, EphemeralEventType>;

/**
 * A topic carrying events: `events.<aggregate>` (the outbox's) or `ephemeral.<aggregate>`
 * (`publish()`'s).
 */
export type Topic =
  | `events.${Exclude<AggregateType, EphemeralAggregateType>}`
  | `ephemeral.${EphemeralAggregateType}`;

/** True for an aggregate type whose events are ephemeral. */
export function isEphemeralAggregate(aggregate: string): aggregate is EphemeralAggregateType {
  return (ephemeralAggregateTypes as readonly string[]).includes(aggregate);
}

function topicFor(aggregate: AggregateType): Topic {
  return (isEphemeralAggregate(aggregate) ? ephemeralTopic(aggregate) : eventTopic(aggregate)) as Topic;
}

/** Everything Outstream knows about one event type. */
export interface CatalogueEntry<K extends EventType = EventType> {
  /** Event type name, `<aggregate>.<event>`. */
  readonly eventType: K;
  /** Aggregate type, written to the outbox `aggregate_type` column. */
  readonly aggregateType: AggregateType;
  /** Topic the event is published to. */
  readonly topic: Topic;
  /** True when the event is ephemeral: `publish()` writes it straight to Kafka, never the outbox. */
  readonly ephemeral: boolean;
  /** Fully qualified Avro record name, e.g. `outstream.booking.BookingCreated`. */
  readonly recordName: string;
  /** Schema registry subject (TopicRecordNameStrategy): `<topic>-<recordName>`. */
  readonly subject: string;
  /** The Avro schema, as written in `schemas/avro`. */
  readonly schema: AvroRecordSchema;
}

/** The catalogue: every event type's entry, keyed by event type. */
export const catalogue: { readonly [K in EventType]: CatalogueEntry<K> } = Object.freeze(
  Object.fromEntries(
    (Object.keys(aggregateOf) as EventType[]).map((eventType) => {
      const aggregateType = aggregateOf[eventType];
      const topic = topicFor(aggregateType);
      const schema = eventSchemas[eventType];
      const recordName = fullNameOf(schema);
      const entry = {
        eventType,
        aggregateType,
        topic,
        ephemeral: isEphemeralAggregate(aggregateType),
        recordName,
        subject: `${topic}-${recordName}`,
        schema,
      };
      return [eventType, Object.freeze(entry)];
    }),
  ) as { [K in EventType]: CatalogueEntry<K> },
);

/** Every event type, in catalogue order. */
export const eventTypes: readonly EventType[] = Object.freeze(Object.keys(aggregateOf) as EventType[]);

/** Every aggregate type, once each, in catalogue order. */
export const aggregateTypes: readonly AggregateType[] = Object.freeze([
  ...new Set(Object.values(aggregateOf)),
]);

/** Every topic carrying events, one per aggregate type. */
export const topics: readonly Topic[] = Object.freeze(aggregateTypes.map(topicFor));

/** True for an event type that is ephemeral (see {@link ephemeralAggregateTypes}). */
export function isEphemeralEventType(name: string): name is EphemeralEventType {
  return isEventType(name) && catalogue[name].ephemeral;
}

/**
 * True if `name` is an event type of the catalogue (e.g. a type read from a Kafka header).
 *
 * @example
 * if (isEventType(header)) decodePayload(header, body);
 */
export function isEventType(name: string): name is EventType {
  return Object.hasOwn(aggregateOf, name);
}

/**
 * The catalogue entry of an event type.
 *
 * @throws UnknownEventTypeError if the catalogue has no such event type.
 */
export function catalogueEntry<K extends EventType>(eventType: K): CatalogueEntry<K>;
export function catalogueEntry(eventType: string): CatalogueEntry;
export function catalogueEntry(eventType: string): CatalogueEntry {
  if (!isEventType(eventType)) throw new UnknownEventTypeError(eventType);
  return catalogue[eventType];
}

/**
 * Topic an event type is published to: `events.<aggregate>`, or `ephemeral.<aggregate>`.
 *
 * @throws UnknownEventTypeError if the catalogue has no such event type.
 * @example
 * topicOf('booking.room_assigned'); // 'events.booking'
 */
export function topicOf(eventType: string): Topic {
  return catalogueEntry(eventType).topic;
}

/**
 * Schema registry subject of an event type under the record-name-per-topic strategy
 * (Confluent TopicRecordNameStrategy), since several event types share a topic.
 *
 * @throws UnknownEventTypeError if the catalogue has no such event type.
 * @example
 * subjectOf('booking.created'); // 'events.booking-outstream.booking.BookingCreated'
 */
export function subjectOf(eventType: string): string {
  return catalogueEntry(eventType).subject;
}
