/**
 * Outstream's event schemas: the Avro schemas and the catalogue (event type →
 * aggregate → topic → subject), the generated payload types, Avro encoding with
 * validation, and the Confluent wire format. Pure code: no Kafka, Postgres or network.
 */

export type {
  AvroEnumSchema,
  AvroField,
  AvroFixedSchema,
  AvroRecordSchema,
  AvroSchema,
} from './avro-schema.ts';
export { aggregateIdField, fullNameOf } from './avro-schema.ts';
export { buildAvroType, logicalTypes } from './avro-types.ts';
export type {
  AggregateType,
  CatalogueEntry,
  EphemeralAggregateType,
  EphemeralEventType,
  OutboxEventType,
  Topic,
} from './catalogue.ts';
export {
  aggregateTypes,
  catalogue,
  catalogueEntry,
  ephemeralAggregateTypes,
  eventTypes,
  isEphemeralAggregate,
  isEphemeralEventType,
  isEventType,
  subjectOf,
  topicOf,
  topics,
} from './catalogue.ts';
export { avroTypeOf, decodePayload, encodePayload } from './codec.ts';
export type { AnyEvent, EventEnvelope, EventOf, KafkaCoordinates } from './event.ts';
export { assertNever } from './event.ts';
export type {
  Attachment,
  BookingCancelled,
  BookingCheckedIn,
  BookingCheckedOut,
  BookingConfirmed,
  BookingCreated,
  BookingDatesChanged,
  BookingFollowUpDue,
  BookingReminderDue,
  BookingRoomAssigned,
  ChatReaction,
  ChatRead,
  ChatTyping,
  Events,
  EventType,
  GuestContact,
  MessageCreated,
  MessageDeleted,
  MessageEdited,
  NotificationCreated,
  PresenceJoined,
  PresenceLeft,
  RoomOccupancyChanged,
  RoomStatusChanged,
  UserProfileUpdated,
  UserRegistered,
} from './generated/events.ts';
// Enums: each name is both the literal-union type and the `as const` object of symbols.
export {
  BookingStatus,
  CancellationReason,
  eventSchemas,
  NotificationKind,
  ProfileField,
  RoomStatus,
  UserRole,
} from './generated/events.ts';
export { samples } from './samples.ts';
export type { Unframed } from './wire-format.ts';
export { frame, unframe } from './wire-format.ts';
