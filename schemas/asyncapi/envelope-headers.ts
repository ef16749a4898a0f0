import type { envelopeHeaders } from '../../connect/outbox-connector.ts';
import type { CatalogueEntry } from '../catalogue.ts';
import type { JsonSchema } from './avro-json-schema.ts';

/** An envelope field, as `connect/outbox-connector.ts` names it (`eventId`, `sequence`, …). */
export type EnvelopeField = keyof typeof envelopeHeaders;

/** Kafka header name of each envelope field (`envelopeHeaders`). */
export type EnvelopeHeaderNames = { readonly [F in EnvelopeField]: string };

/**
 * What each envelope header holds. Keyed by the connector's own field list, so a header added
 * there does not compile until it is described here. Values are UTF-8 strings on the wire;
 * optional ones are absent when the outbox column is NULL.
 */
const described: { readonly [F in EnvelopeField]: { schema: JsonSchema; required: boolean } } = {
  eventId: {
    required: true,
    schema: {
      type: 'string',
      format: 'uuid',
      description: 'Event id, a UUIDv7 (time-ordered): the key for de-duplicating redeliveries.',
    },
  },
  eventType: {
    required: true,
    schema: { type: 'string', description: 'Event type, `<aggregate>.<event>`.' },
  },
  aggregateType: {
    required: true,
    schema: { type: 'string', description: 'Aggregate type; the topic is `events.<aggregate type>`.' },
  },
  aggregateId: {
    required: true,
    schema: { type: 'string', description: 'Aggregate id, equal to the record key.' },
  },
  sequence: {
    required: true,
    schema: {
      type: 'string',
      pattern: '^[1-9][0-9]*$',
      description:
        "Per-aggregate sequence number in decimal: 1, 2, 3… without gaps, in commit order. A number at or below the aggregate's last one is a redelivery.",
    },
  },
  occurredAt: {
    required: true,
    schema: { type: 'string', format: 'date-time', description: 'When the event happened (ISO-8601).' },
  },
  actor: {
    required: false,
    schema: { type: 'string', description: 'Who caused the event, e.g. `user:42`.' },
  },
  traceparent: {
    required: false,
    schema: {
      type: 'string',
      pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
      description: "W3C trace context of the emitting transaction's span.",
    },
  },
  tracestate: {
    required: false,
    schema: { type: 'string', description: 'W3C `tracestate`, when the emitter had one.' },
  },
};

/**
 * The JSON Schema of one event type's Kafka headers: the envelope, with `event-type` and
 * `aggregate-type` fixed to the entry's. Debezium adds headers of its own (`id`,
 * `__debezium.context.*`), so others may be present.
 */
export function headersSchema(names: EnvelopeHeaderNames, entry: CatalogueEntry): JsonSchema {
  const fixed: Partial<Record<EnvelopeField, string>> = {
    eventType: entry.eventType,
    aggregateType: entry.aggregateType,
  };
  const fields = Object.keys(described) as EnvelopeField[];
  return {
    type: 'object',
    required: fields.filter((f) => described[f].required).map((f) => names[f]),
    properties: Object.fromEntries(
      fields.map((f) => {
        const value = fixed[f];
        const schema = described[f].schema;
        return [names[f], value === undefined ? schema : { ...schema, const: value }];
      }),
    ),
    additionalProperties: { type: 'string' },
  };
}
