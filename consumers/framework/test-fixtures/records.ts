import { type KafkaRecord, recordHeaders } from '../../../core/kafka/index.ts';

/**
 * A booking.created record as the framework receives it (pure, for unit tests): partition 3,
 * offset 42, key `b-1`, a framed payload and the event id and type headers; `over` replaces
 * any field.
 */
export function bookingRecord(over: Partial<KafkaRecord> = {}): KafkaRecord {
  return {
    topic: 'events.booking',
    partition: 3,
    offset: 42n,
    key: Buffer.from('b-1'),
    value: Buffer.from([0, 0, 0, 0, 9, 1, 2]),
    timestamp: 1_700_000_000_000,
    headers: recordHeaders({ 'event-id': 'e-1', 'event-type': 'booking.created' }),
    ...over,
  };
}
