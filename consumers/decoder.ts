import type { Resolver, Type } from 'avsc';
import type { KafkaMessage } from 'kafkajs';
import { envelopeHeaders } from '../connect/outbox-connector.ts';
import { SchemaDecodeError } from '../core/errors.ts';
import { RegistryError, type SchemaRegistry } from '../core/schema-registry.ts';
import {
  type AnyEvent,
  type AvroSchema,
  avroTypeOf,
  buildAvroType,
  type EventType,
  isEventType,
  unframe,
} from '../schemas/index.ts';

/** A Kafka record as the decoder needs it. */
export interface RawRecord {
  topic: string;
  partition: number;
  message: Pick<KafkaMessage, 'key' | 'value' | 'headers' | 'offset' | 'timestamp'>;
}

/** Reads one header as a string; undefined when absent or null. */
export function header(message: RawRecord['message'], name: string): string | undefined {
  const v = message.headers?.[name];
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  return last === undefined || last === null ? undefined : last.toString();
}

/** The event type named by a record's headers, if it is one of the catalogue's. */
export function eventTypeOf(record: RawRecord): EventType | undefined {
  const t = header(record.message, envelopeHeaders.eventType);
  return t !== undefined && isEventType(t) ? t : undefined;
}

/** Options of {@link createEventDecoder}. */
export interface EventDecoderOptions {
  /**
   * The reader type of an event type; default the generated catalogue schema's
   * (`avroTypeOf`). A consumer pinned to another version of a schema passes its own.
   */
  readerTypeOf?: (type: EventType) => Type;
}

/**
 * Decodes records into typed events: Confluent framing → the writer schema by id from the
 * registry (cached) → resolved to this process's own reader schema (the one its types were
 * generated from), so older and newer producers never break a running consumer. Resolvers
 * are built once per (writer schema id, event type): building one per record, as
 * `@kafkajs/confluent-schema-registry` does, costs more than the decode itself.
 */
export function createEventDecoder(
  registry: Pick<SchemaRegistry, 'schemaById'>,
  { readerTypeOf = avroTypeOf }: EventDecoderOptions = {},
) {
  const writers = new Map<number, Promise<Type>>();
  const resolvers = new Map<string, Resolver>();

  async function writerType(id: number): Promise<Type> {
    let p = writers.get(id);
    if (!p) {
      p = registry.schemaById(id).then(
        (text) => buildAvroType(JSON.parse(text) as AvroSchema),
        (e: unknown) => {
          // An unknown id is poison (no retry will help); anything else may be transient.
          if (e instanceof RegistryError && e.status === 404) {
            throw new SchemaDecodeError(`schema id ${id} is not in the registry`, { cause: e });
          }
          throw e;
        },
      );
      p.catch(() => writers.delete(id));
      writers.set(id, p);
    }
    return p;
  }

  async function resolverFor(id: number, type: EventType): Promise<Resolver> {
    const key = `${id}:${type}`;
    let r = resolvers.get(key);
    if (!r) {
      const writer = await writerType(id);
      try {
        r = readerTypeOf(type).createResolver(writer);
      } catch (e) {
        throw new SchemaDecodeError(
          `writer schema ${id} cannot be read as ${type}: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
      resolvers.set(key, r);
    }
    return r;
  }

  return {
    /**
     * Decodes a record whose event type is known to the catalogue.
     *
     * @throws SchemaDecodeError for missing/garbled headers, bad framing, an unknown schema
     *   id or bytes that do not match the writer schema (poison: retrying cannot help).
     */
    async decode(record: RawRecord): Promise<AnyEvent> {
      const { message } = record;
      const type = eventTypeOf(record);
      if (type === undefined) {
        const raw = header(message, envelopeHeaders.eventType);
        throw new SchemaDecodeError(
          `record has ${raw === undefined ? 'no event-type header' : `unknown event type "${raw}"`}`,
        );
      }
      if (!message.value) throw new SchemaDecodeError('record has no value (tombstone?)');
      const { schemaId, body } = unframe(message.value);
      const resolver = await resolverFor(schemaId, type);
      let payload: unknown;
      try {
        payload = readerTypeOf(type).fromBuffer(body, resolver);
      } catch (e) {
        throw new SchemaDecodeError(
          `${type} body does not match writer schema ${schemaId}: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
      const need = (name: string) => {
        const v = header(message, name);
        if (v === undefined) throw new SchemaDecodeError(`record has no ${name} header`);
        return v;
      };
      const sequence = Number(need(envelopeHeaders.sequence));
      const occurredAt = new Date(need(envelopeHeaders.occurredAt));
      if (!Number.isSafeInteger(sequence) || Number.isNaN(+occurredAt)) {
        throw new SchemaDecodeError('record has a malformed sequence or occurred-at header');
      }
      const traceparent = header(message, envelopeHeaders.traceparent);
      return {
        id: need(envelopeHeaders.eventId),
        type,
        aggregateType: need(envelopeHeaders.aggregateType),
        aggregateId: need(envelopeHeaders.aggregateId),
        sequence,
        occurredAt,
        actor: header(message, envelopeHeaders.actor) ?? null,
        trace: traceparent
          ? { traceparent, tracestate: header(message, envelopeHeaders.tracestate) ?? null }
          : null,
        payload,
        kafka: {
          topic: record.topic,
          partition: record.partition,
          offset: message.offset,
          timestamp: Number(message.timestamp),
        },
      } as AnyEvent;
    },
  };
}

/** The decoder {@link createEventDecoder} returns. */
export type EventDecoder = ReturnType<typeof createEventDecoder>;
