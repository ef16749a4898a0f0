import { headerText, type KafkaRecord } from '../../core/kafka/index.ts';
import { deadLetterHeaders } from './dead-letter.ts';

const added = new Set<string>(Object.values(deadLetterHeaders));

/**
 * The record a dead letter was made from (pure): topic, partition, offset and timestamp from
 * its `dlq-*` headers; key, value and the original headers as they were (the `dlq-*` ones and
 * null values left out). A replay hands this to the group's record processor, so handlers see
 * the event where it was, and one that fails again goes back to the same `<topic>.dlq.<group>`
 * with fresh `dlq-*` headers.
 *
 * @returns undefined when the record lacks the headers every dead letter carries (it was not
 * written by the framework).
 */
export function originalRecord(deadLetter: KafkaRecord): KafkaRecord | undefined {
  const text = (name: string) => headerText(deadLetter.headers, name);
  const topic = text(deadLetterHeaders.originalTopic);
  const partition = Number(text(deadLetterHeaders.originalPartition));
  const offset = text(deadLetterHeaders.originalOffset);
  if (topic === undefined || !Number.isInteger(partition) || partition < 0) return undefined;
  if (offset === undefined || !/^\d+$/.test(offset)) return undefined;
  const headers = new Map<string, Buffer | null>();
  for (const [name, value] of deadLetter.headers)
    if (!added.has(name) && value !== null) headers.set(name, value);
  const timestamp = Number(text(deadLetterHeaders.originalTimestamp));
  return {
    topic,
    partition,
    offset: BigInt(offset),
    key: deadLetter.key,
    value: deadLetter.value,
    headers,
    timestamp: Number.isFinite(timestamp) ? timestamp : deadLetter.timestamp,
  };
}
