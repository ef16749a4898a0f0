import type { Type } from 'avsc';
import { InvalidEventError, SchemaDecodeError } from '../core/errors.ts';
import { buildAvroType } from './avro-types.ts';
import { catalogueEntry } from './catalogue.ts';
import { collectIssues } from './field-issues.ts';
import type { Events, EventType } from './generated/events.ts';

const types = new Map<string, Type>();

/**
 * The avsc `Type` of an event type's catalogue schema, with Outstream's logical types;
 * built once per event type.
 *
 * @throws UnknownEventTypeError if the catalogue has no such event type.
 */
export function avroTypeOf(eventType: EventType): Type {
  let type = types.get(eventType);
  if (!type) {
    type = buildAvroType(catalogueEntry(eventType).schema);
    types.set(eventType, type);
  }
  return type;
}

/**
 * Validates a payload against its event type's schema and encodes it as Avro binary
 * (no Confluent framing: see `frame`). The payload type asks for every field, as decode
 * returns them; an untyped caller may leave out a field with a schema default.
 *
 * @throws InvalidEventError listing every offending field at once (wrong type, missing,
 *   `null` where not allowed, unknown enum symbol, bad logical value, undeclared field).
 * @throws UnknownEventTypeError if the catalogue has no such event type.
 * @example
 * const body = encodePayload('booking.confirmed', { bookingId, hotelId: '1', ... });
 */
export function encodePayload<K extends EventType>(eventType: K, payload: Events[K]): Buffer {
  const type = avroTypeOf(eventType);
  // Fast path: valid payloads (the common case) skip the issue collection.
  if (!type.isValid(payload, { noUndeclaredFields: true })) {
    const issues = collectIssues(type, payload);
    if (issues.length > 0) throw new InvalidEventError(eventType, issues);
  }
  return type.toBuffer(payload);
}

/**
 * Decodes Avro binary written with the event type's current schema (no framing) into
 * its payload: timestamps as `Date`, decimals as exact strings, optional fields as `null`.
 *
 * @throws SchemaDecodeError if the bytes are not one complete value of that schema.
 * @throws UnknownEventTypeError if the catalogue has no such event type.
 */
export function decodePayload<K extends EventType>(eventType: K, bytes: Uint8Array): Events[K] {
  const type = avroTypeOf(eventType);
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return type.fromBuffer(buffer) as Events[K];
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SchemaDecodeError(`cannot decode ${eventType} payload (${buffer.length} bytes): ${reason}`, {
      cause: err,
    });
  }
}
