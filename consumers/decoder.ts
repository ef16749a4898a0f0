import type { Resolver, Type } from 'avsc';
import { envelopeHeaders } from '../connect/outbox-connector.ts';
import { Dependency, DependencyUnavailableError, SchemaDecodeError } from '../core/errors.ts';
import { headerText, type KafkaRecord } from '../core/kafka/index.ts';
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

/** The event type named by a record's headers, if it is one of the catalogue's. */
export function eventTypeOf(record: KafkaRecord): EventType | undefined {
  const t = headerText(record.headers, envelopeHeaders.eventType);
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

/** How long an id the registry does not know is answered from memory (it may be registered later). */
const unknownIdTtlMs = 30_000;

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
          // No answer at all (refused, reset, timed out): the registry is down, waited out.
          if (!(e instanceof RegistryError)) {
            throw new DependencyUnavailableError(
              Dependency.schemaRegistry,
              `schema ${id}: ${(e as Error)?.message ?? e}`,
              { cause: e },
            );
          }
          throw e;
        },
      );
      // A transient failure is asked again at once; an unknown id is remembered for a while, so
      // a run of records naming it (a corrupt producer) does not cost a registry round trip each.
      p.catch((e: unknown) => {
        if (!(e instanceof SchemaDecodeError)) writers.delete(id);
        else setTimeout(() => writers.delete(id), unknownIdTtlMs).unref();
      });
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
    async decode(record: KafkaRecord): Promise<AnyEvent> {
      const header = (name: string) => headerText(record.headers, name);
      const type = eventTypeOf(record);
      if (type === undefined) {
        const raw = header(envelopeHeaders.eventType);
        throw new SchemaDecodeError(
          `record has ${raw === undefined ? 'no event-type header' : `unknown event type "${raw}"`}`,
        );
      }
      if (!record.value) throw new SchemaDecodeError('record has no value (tombstone?)');
      const { schemaId, body } = unframe(record.value);
      // Cached after the first record of a (schema id, type): no await, no microtask.
      const resolver = resolvers.get(`${schemaId}:${type}`) ?? (await resolverFor(schemaId, type));
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
        const v = header(name);
        if (v === undefined) throw new SchemaDecodeError(`record has no ${name} header`);
        return v;
      };
      const sequence = Number(need(envelopeHeaders.sequence));
      const occurredAt = new Date(need(envelopeHeaders.occurredAt));
      if (!Number.isSafeInteger(sequence) || Number.isNaN(+occurredAt)) {
        throw new SchemaDecodeError('record has a malformed sequence or occurred-at header');
      }
      const traceparent = header(envelopeHeaders.traceparent);
      return {
        id: need(envelopeHeaders.eventId),
        type,
        aggregateType: need(envelopeHeaders.aggregateType),
        aggregateId: need(envelopeHeaders.aggregateId),
        sequence,
        occurredAt,
        actor: header(envelopeHeaders.actor) ?? null,
        trace: traceparent ? { traceparent, tracestate: header(envelopeHeaders.tracestate) ?? null } : null,
        payload,
        kafka: {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          timestamp: record.timestamp,
        },
      } as AnyEvent;
    },
  };
}

/** The decoder {@link createEventDecoder} returns. */
export type EventDecoder = ReturnType<typeof createEventDecoder>;
