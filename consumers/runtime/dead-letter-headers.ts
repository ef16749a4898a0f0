import type { IHeaders, Kafka, Message, Producer, ProducerRecord } from 'kafkajs';

/**
 * WORKAROUND (remove once consumers/framework/dead-letter.ts drops null headers itself):
 * Debezium places a NULL outbox column (actor, traceparent, tracestate) as a header with a
 * null value; the framework copies the original headers into the dead letter, and kafkajs
 * cannot encode a null header value ("The "string" argument must be of type string…"), so
 * the dead letter is retried forever and the record's key never moves on. This wraps the
 * client's producers to leave null headers out of every message they send.
 */
export function withoutNullHeaders(kafka: Kafka): Kafka {
  const producer = kafka.producer.bind(kafka);
  kafka.producer = (config) => {
    const p: Producer = producer(config);
    const send = p.send.bind(p);
    p.send = (record: ProducerRecord) => send({ ...record, messages: record.messages.map(clean) });
    return p;
  };
  return kafka;
}

function clean(m: Message): Message {
  if (!m.headers) return m;
  const headers: IHeaders = {};
  for (const [k, v] of Object.entries(m.headers)) if (v !== null && v !== undefined) headers[k] = v;
  return { ...m, headers };
}
