import type { EventDecoder } from '../../consumers/decoder.ts';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import type { KafkaRecord } from '../../core/kafka/index.ts';
import type { RoutedRecord, Router } from './router.ts';

/** Decodes and routes one Kafka record. */
export type RecordRouter = (record: KafkaRecord) => Promise<RoutedRecord>;

/**
 * Decodes with the shared event decoder (`consumers/decoder.ts`) and routes the event. A
 * record that can never be decoded (poison: unknown type, bad framing, unknown schema id)
 * becomes a record with no deliveries, so positions still move past it; `onPoison` reports
 * it. Transient failures (registry unreachable) throw: the caller reads the record again.
 */
export function createRecordRouter(
  decoder: EventDecoder,
  router: Router,
  onPoison: (record: KafkaRecord, error: unknown) => void,
): RecordRouter {
  return async (record) => {
    const { topic, partition, offset, timestamp } = record;
    const base = { topic, partition, offset, timestamp };
    try {
      const event = await decoder.decode(record);
      // Ephemeral events have no sequence (0): nothing to deduplicate them by.
      if (event.sequence === 0) return { ...base, type: event.type, deliveries: router.route(event) };
      return {
        ...base,
        type: event.type,
        aggregate: `${event.aggregateType}:${event.aggregateId}`,
        sequence: event.sequence,
        deliveries: router.route(event),
      };
    } catch (e) {
      if (!isOutstreamError(e, ErrorCode.schemaDecode)) throw e;
      onPoison(record, e);
      return { ...base, type: '', deliveries: [] };
    }
  };
}
