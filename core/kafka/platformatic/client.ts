import type { KafkaClient } from '../port.ts';
import { createAdmin } from './admin.ts';
import { createGroupConsumer } from './group-consumer.ts';
import type { ConnectionOptions } from './options.ts';
import { createProducer } from './producer.ts';
import { createReader } from './reader.ts';

/** The Kafka port on `@platformatic/kafka`. */
export function createPlatformaticKafka(connection: ConnectionOptions): KafkaClient {
  return {
    brokers: connection.brokers,
    clientId: connection.clientId,
    admin: () => createAdmin(connection),
    async withAdmin(fn) {
      const admin = createAdmin(connection);
      try {
        return await fn(admin);
      } finally {
        await admin.close();
      }
    },
    producer: (options) => createProducer(connection, options),
    reader: () => createReader(connection),
    groupConsumer: (options) => createGroupConsumer(connection, options),
  };
}
