/** Kafka header names that carry the event envelope (outbox column → header). */
export const envelopeHeaders = {
  eventId: 'event-id',
  eventType: 'event-type',
  aggregateType: 'aggregate-type',
  aggregateId: 'aggregate-id',
  sequence: 'sequence',
  occurredAt: 'occurred-at',
  actor: 'actor',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** Outbox column placed into each header (the payload and routing columns are used directly). */
const headerColumns: Record<keyof typeof envelopeHeaders, string> = {
  eventId: 'event_id',
  eventType: 'event_type',
  aggregateType: 'aggregate_type',
  aggregateId: 'aggregate_id',
  sequence: 'sequence',
  occurredAt: 'occurred_at',
  actor: 'actor',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
};

/** The replication slot the outbox connector reads, unless told otherwise. */
export const defaultSlotName = 'outstream_outbox';

/** What the connector needs to know about the database it reads. */
export interface OutboxConnectorOptions {
  /** `postgres://user:password@host:port/db` of the database holding the outbox. */
  databaseUrl: string;
  /** Logical replication slot name (one per connector; it survives restarts). */
  slotName?: string;
  /** Debezium's topic prefix: names the heartbeat topic `__debezium-heartbeat.<prefix>`. */
  topicPrefix?: string;
  /** Partitions of an events topic Connect has to create (infra/topics normally does). */
  defaultPartitions?: number;
}

/**
 * The Debezium PostgreSQL connector with the Outbox Event Router: every insert into
 * `public.outbox` becomes one Kafka record on `events.<aggregate_type>`, key = aggregate id,
 * value = the payload bytes untouched (Avro with Confluent framing, written by the emitter),
 * envelope columns as headers. Nothing in Connect knows Avro.
 */
export function outboxConnectorConfig(options: OutboxConnectorOptions): Record<string, string> {
  const db = new URL(options.databaseUrl);
  const placement = Object.entries(headerColumns)
    .map(([key, column]) => `${column}:header:${envelopeHeaders[key as keyof typeof envelopeHeaders]}`)
    .join(',');
  return {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'tasks.max': '1',
    'database.hostname': db.hostname,
    'database.port': db.port || '5432',
    'database.user': decodeURIComponent(db.username),
    'database.password': decodeURIComponent(db.password),
    'database.dbname': db.pathname.replace(/^\//, ''),
    'topic.prefix': options.topicPrefix ?? 'outstream',
    'plugin.name': 'pgoutput',
    'slot.name': options.slotName ?? defaultSlotName,
    // The migration creates the publication (inserts and heartbeat updates only).
    'publication.name': 'outstream_outbox',
    'publication.autocreate.mode': 'disabled',
    'table.include.list': 'public.outbox',
    // Stream from the slot's creation: the slot is made when the connector is first
    // registered, so register it before the first emit (`npm start` / `npm run setup` do).
    // From then on the slot keeps every change, even while Connect is down.
    'snapshot.mode': 'no_data',
    // Debezium's default 500 ms poll interval is a latency floor.
    'poll.interval.ms': '10',
    'max.batch.size': '2048',
    'max.queue.size': '16384',
    'tombstones.on.delete': 'false',
    'heartbeat.interval.ms': '1000',
    'heartbeat.action.query': 'UPDATE public.outbox_heartbeat SET beat_at = now() WHERE id = 1',
    // Payload pass-through: bytes in, same bytes out; heartbeats are JSON.
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'io.debezium.converters.BinaryDataConverter',
    'value.converter.delegate.converter.type': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.delegate.converter.type.schemas.enable': 'false',
    transforms: 'outbox',
    'transforms.outbox.type': 'io.debezium.transforms.outbox.EventRouter',
    'transforms.outbox.table.field.event.id': 'event_id',
    'transforms.outbox.table.field.event.key': 'aggregate_id',
    'transforms.outbox.table.field.event.payload': 'payload',
    'transforms.outbox.table.fields.additional.placement': placement,
    'transforms.outbox.route.by.field': 'aggregate_type',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Debezium's placeholder, not a JS template
    'transforms.outbox.route.topic.replacement': 'events.${routedByValue}',
    'transforms.outbox.table.expand.json.payload': 'false',
    // Safety net for an aggregate type infra/topics does not declare yet.
    'topic.creation.default.partitions': String(options.defaultPartitions ?? 12),
    'topic.creation.default.replication.factor': '-1',
  };
}
