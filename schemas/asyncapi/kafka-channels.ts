import type { CatalogueEntry } from '../catalogue.ts';
import { aggregateIdField, sampleAggregateId } from './aggregate-id.ts';
import type { JsonSchema } from './avro-json-schema.ts';
import { headersSchema } from './envelope-headers.ts';
import type { AsyncApiInputs } from './inputs.ts';
import { avroSchemaFormat, names, ref } from './refs.ts';

/** The Kafka side of the document: one channel and one receive operation per topic. */
export interface KafkaPart {
  channels: Record<string, object>;
  operations: Record<string, object>;
  messages: Record<string, object>;
  schemas: Record<string, object>;
}

/**
 * Channels, operations, messages and Avro schemas for every topic of `infra/topics`, each
 * carrying the catalogue's event types routed to it.
 *
 * @throws Error when an event type's topic is not declared (the cluster would not have it).
 */
export function kafkaPart(inputs: AsyncApiInputs): KafkaPart {
  const declared = new Set(inputs.topics.map((t) => t.name));
  const orphan = inputs.catalogue.find((e) => !declared.has(e.topic));
  if (orphan)
    throw new Error(`${orphan.eventType} goes to ${orphan.topic}, which infra/topics does not declare`);

  const part: KafkaPart = { channels: {}, operations: {}, messages: {}, schemas: {} };
  for (const topic of inputs.topics) {
    const entries = inputs.catalogue.filter((e) => e.topic === topic.name);
    part.channels[topic.name] = {
      address: topic.name,
      title: topic.name,
      summary: `Events of the ${aggregateOf(entries, topic.name)} aggregate: ${entries.map((e) => e.eventType).join(', ')}.`,
      description: [
        `Keyed by aggregate id: one aggregate's events share a partition, in sequence order. ${topic.partitions} partitions as declared by \`infra/topics\` (a cluster may differ: \`npm run topics -- plan\` shows drift).`,
        topic.keyed
          ? 'Adding partitions moves keys to other partitions, so it is done only with `--allow-repartition`.'
          : '',
      ]
        .filter(Boolean)
        .join(' '),
      servers: [ref('servers', names.kafkaServer)],
      messages: Object.fromEntries(
        entries.map((e) => [e.eventType, ref('components', 'messages', e.eventType)]),
      ),
      bindings: {
        kafka: {
          topic: topic.name,
          partitions: topic.partitions,
          replicas: topic.replicationFactor,
          topicConfiguration: {
            'cleanup.policy': topic.config['cleanup.policy'].split(','),
            'retention.ms': Number(topic.config['retention.ms']),
          },
          bindingVersion: names.kafkaBinding,
        },
      },
    };
    part.operations[`receive.${topic.name}`] = {
      action: 'receive',
      channel: ref('channels', topic.name),
      title: `Consume ${topic.name}`,
      summary: `A service's consumer group reads ${topic.name}.`,
      description:
        "Use your own consumer group id, one per consuming service (each group gets every event; the members of one group share the partitions). Delivery is at least once: de-duplicate by `event-id`, or by `sequence` per aggregate. Decode the value with the writer schema its id names and read it with your own schema version (Avro schema resolution): the registry refuses a version that breaks its subject's compatibility level (each message names it), so a reader on an older version keeps working.",
      messages: entries.map((e) => ref('channels', topic.name, 'messages', e.eventType)),
      bindings: {
        kafka: {
          groupId: {
            type: 'string',
            description:
              "The consuming service's own group id (not one of Outstream's groups: `npm run lag` lists them).",
          },
          bindingVersion: names.kafkaBinding,
        },
      },
    };
    for (const entry of entries) {
      part.schemas[entry.subject] = { schemaFormat: avroSchemaFormat, schema: entry.schema };
      part.messages[entry.eventType] = message(inputs, entry);
    }
  }
  return part;
}

function aggregateOf(entries: readonly CatalogueEntry[], topic: string): string {
  return entries[0]?.aggregateType ?? topic.replace(/^events\./, '');
}

function message(inputs: AsyncApiInputs, entry: CatalogueEntry): object {
  const keyField = aggregateIdField(entry.schema);
  const key: JsonSchema = {
    type: 'string',
    description: `The aggregate id (UTF-8)${keyField ? `: the payload's \`${keyField}\`` : ''}.`,
  };
  const level = inputs.compatibility[entry.subject];
  const framed = Buffer.from(inputs.frame(42, new Uint8Array(0)))
    .toString('hex')
    .match(/../g)!
    .join(' ');
  return {
    name: entry.eventType,
    title: entry.recordName,
    summary: entry.schema.doc,
    description: [
      `Value: the Confluent wire format, byte for byte as the emitting service wrote it: magic byte 0, the writer schema's registry id as 4 bytes big-endian, then the Avro binary body (schema id 42: \`${framed} …\`).`,
      `Registry subject \`${entry.subject}\` (TopicRecordNameStrategy: several event types share the topic)${level ? `, compatibility ${level}` : ''}. Key: the aggregate id. Headers: the envelope.`,
    ].join(' '),
    contentType: 'application/octet-stream',
    headers: headersSchema(inputs.headers, entry),
    payload: ref('components', 'schemas', entry.subject),
    bindings: {
      kafka: {
        key,
        schemaIdLocation: 'payload',
        schemaIdPayloadEncoding: 'confluent',
        schemaLookupStrategy: 'TopicRecordNameStrategy',
        bindingVersion: names.kafkaBinding,
      },
    },
    examples: [
      {
        name: 'sample',
        summary: `The headers of a ${entry.eventType} record (illustrative values).`,
        headers: exampleHeaders(inputs, entry),
      },
    ],
  };
}

function exampleHeaders(inputs: AsyncApiInputs, entry: CatalogueEntry): object {
  const { headers: h, example: x } = inputs;
  return {
    [h.eventId]: x.id,
    [h.eventType]: entry.eventType,
    [h.aggregateType]: entry.aggregateType,
    [h.aggregateId]: sampleAggregateId(inputs, entry),
    [h.sequence]: String(x.sequence),
    [h.occurredAt]: x.occurredAt.toISOString(),
    [h.actor]: x.actor,
    [h.traceparent]: x.traceparent,
  };
}
