import type { KafkaClient, ReadOptions, ReadRange } from './port.ts';
import type { KafkaRecord } from './types.ts';

/** A {@link ReadRange} with an end: what {@link readAll} can finish. */
export type BoundedRange = ReadRange & { to: bigint };

/**
 * Reads bounded ranges to their ends with a reader of its own and returns the records, by
 * topic, then partition, then offset. For small reads (samples, dead letters, a test's
 * output); a large one should iterate `kafka.reader().read()` batch by batch instead.
 *
 * @throws KafkaError when a range's end is not reached by `timeoutMs` (default 60 s).
 * @example
 * const bounds = await kafka.withAdmin((admin) => admin.partitionBounds(topic));
 * const records = await readAll(kafka, {
 *   ranges: bounds.map((b) => ({ topic, partition: b.partition, from: b.low, to: b.high })),
 * });
 */
export async function readAll(
  kafka: Pick<KafkaClient, 'reader'>,
  options: Omit<ReadOptions, 'ranges'> & { ranges: readonly BoundedRange[] },
): Promise<KafkaRecord[]> {
  const reader = kafka.reader();
  const out: KafkaRecord[] = [];
  try {
    for await (const batch of reader.read(options)) out.push(...batch.records);
  } finally {
    await reader.close();
  }
  return out.sort(
    (a, b) =>
      a.topic.localeCompare(b.topic) ||
      a.partition - b.partition ||
      (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0),
  );
}
