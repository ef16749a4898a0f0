import type { KafkaMessage } from 'kafkajs';
import type { EventDecoder } from '../../consumers/decoder.ts';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import type { RoutedRecord, Router } from './router.ts';

/** Decodes and routes one Kafka record. */
export type RecordRouter = (topic: string, partition: number, message: KafkaMessage) => Promise<RoutedRecord>;

/**
 * Decodes with the shared event decoder (`consumers/decoder.ts`) and routes the event. A
 * record that can never be decoded (poison: unknown type, bad framing, unknown schema id)
 * becomes a record with no deliveries, so positions still move past it; `onPoison` reports
 * it. Transient failures (registry unreachable) throw: the caller retries the record.
 */
export function createRecordRouter(
  decoder: EventDecoder,
  router: Router,
  onPoison: (topic: string, partition: number, offset: string, error: unknown) => void,
): RecordRouter {
  return async (topic, partition, message) => {
    const base = { topic, partition, offset: Number(message.offset), timestamp: Number(message.timestamp) };
    try {
      const event = await decoder.decode({ topic, partition, message });
      return { ...base, type: event.type, deliveries: router.route(event) };
    } catch (e) {
      if (!isOutstreamError(e, ErrorCode.schemaDecode)) throw e;
      onPoison(topic, partition, message.offset, e);
      return { ...base, type: '', deliveries: [] };
    }
  };
}
