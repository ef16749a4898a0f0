import { compatibilityPartitioner, ProduceAcks, Producer } from '@platformatic/kafka';
import type { KafkaProducer, ProducerOptions } from '../port.ts';
import type { ProducerRecord } from '../types.ts';
import { baseOptions, type ConnectionOptions, call } from './options.ts';

const bytes = (v: Buffer | string) => (Buffer.isBuffer(v) ? v : Buffer.from(v));

/**
 * An idempotent producer, acks from every in-sync replica. Keys are partitioned as Java's
 * client does (murmur2, positive): a key written here lands where Debezium writes it.
 */
export function createProducer(o: ConnectionOptions, options: ProducerOptions = {}): KafkaProducer {
  let client: Producer | undefined;
  const producer = () => {
    client ??= new Producer({
      ...baseOptions(o, 'producer'),
      idempotent: true,
      acks: ProduceAcks.ALL,
      partitioner: compatibilityPartitioner,
      ...(options.lingerMs ? { batchTime: options.lingerMs } : {}),
    });
    return client;
  };
  return {
    async send(records: readonly ProducerRecord[]) {
      if (records.length === 0) return [];
      const result = await call(`produce to ${[...new Set(records.map((r) => r.topic))].join(', ')}`, () =>
        producer().send({
          messages: records.map((r) => ({
            topic: r.topic,
            ...(r.key === null ? {} : { key: bytes(r.key) }),
            ...(r.value === null ? {} : { value: bytes(r.value) }),
            ...(r.partition === undefined ? {} : { partition: r.partition }),
            headers: new Map(Object.entries(r.headers ?? {}).map(([k, v]) => [Buffer.from(k), bytes(v)])),
          })),
        }),
      );
      return (result.offsets ?? []).map((x) => ({
        topic: x.topic,
        partition: x.partition,
        offset: x.offset,
      }));
    },
    async close() {
      const c = client;
      client = undefined;
      await c?.close().catch(() => {});
    },
  };
}
