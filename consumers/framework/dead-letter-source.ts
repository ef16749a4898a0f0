import type { IHeaders } from 'kafkajs';
import { header, type RawRecord } from '../decoder.ts';
import { deadLetterHeaders, producibleHeaders } from './dead-letter.ts';

const separator = '.dlq.';
const added = new Set<string>(Object.values(deadLetterHeaders));

/**
 * The source topic and group a dead-letter topic belongs to (pure): the inverse of
 * `deadLetterTopic`. Undefined for a topic that is not named `<topic>.dlq.<group>`.
 *
 * @example
 * parseDeadLetterTopic('events.booking.dlq.notifications'); // { topic: 'events.booking', group: 'notifications' }
 */
export function parseDeadLetterTopic(name: string): { topic: string; group: string } | undefined {
  const at = name.indexOf(separator);
  if (at <= 0 || at + separator.length >= name.length) return undefined;
  return { topic: name.slice(0, at), group: name.slice(at + separator.length) };
}

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
export function originalRecord(deadLetter: RawRecord): RawRecord | undefined {
  const { message } = deadLetter;
  const topic = header(message, deadLetterHeaders.originalTopic);
  const partition = Number(header(message, deadLetterHeaders.originalPartition));
  const offset = header(message, deadLetterHeaders.originalOffset);
  if (topic === undefined || !Number.isInteger(partition) || partition < 0) return undefined;
  if (offset === undefined || !/^\d+$/.test(offset)) return undefined;
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(producibleHeaders(message.headers))) {
    if (!added.has(name)) headers[name] = value;
  }
  return {
    topic,
    partition,
    message: {
      key: message.key,
      value: message.value,
      headers,
      offset,
      timestamp: header(message, deadLetterHeaders.originalTimestamp) ?? message.timestamp,
    },
  };
}
