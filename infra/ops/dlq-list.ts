import { createEventDecoder } from '../../consumers/decoder.ts';
import { originalRecord } from '../../consumers/framework/index.ts';
import { type KafkaClient, readAll, replayCursorGroup } from '../../core/kafka/index.ts';
import type { SchemaRegistry } from '../../core/schema-registry.ts';
import { type DeadLetterFilter, type DeadLetterTopic, listDeadLetterTopics } from './dead-letter-topics.ts';
import { type DeadLetterView, formatDeadLetter, viewDeadLetter } from './dead-letter-view.ts';
import { formatTable } from './table.ts';

/** Options of {@link listDeadLetters}. */
export interface ListDeadLettersOptions extends DeadLetterFilter {
  /** Also read the last `show` dead letters of each topic. */
  show?: number;
  /** With `show`: decode each payload (the writer schema by id, from the registry). */
  payloadsFrom?: Pick<SchemaRegistry, 'schemaById'>;
}

/** A dead letter as listed: the view, and the decoded payload when asked for. */
export type ListedDeadLetter = DeadLetterView & { payload?: unknown; payloadError?: string };

/** What {@link listDeadLetters} found. */
export interface DeadLetterListing {
  topics: (DeadLetterTopic & { replayCursorGroup: string; last?: ListedDeadLetter[] })[];
  /** Dead-letter topics of test and benchmark groups left out. */
  hidden: number;
}

/**
 * Lists the dead-letter topics with their counts, and with `show` the last dead letters of
 * each, headers decoded (why, where from, which event, which error, how many attempts).
 */
export async function listDeadLetters(
  kafka: KafkaClient,
  o: ListDeadLettersOptions = {},
): Promise<DeadLetterListing> {
  const found = await kafka.withAdmin((admin) => listDeadLetterTopics(admin, o));
  const decoder = o.payloadsFrom ? createEventDecoder(o.payloadsFrom) : undefined;
  const topics = await Promise.all(
    found.topics.map(async (t) => {
      const entry: DeadLetterListing['topics'][number] = {
        ...t,
        replayCursorGroup: replayCursorGroup(t.group),
      };
      const n = o.show ?? 0;
      if (n <= 0 || t.messages === 0) return entry;
      // The last `n` of each partition hold the newest `n` over all of them.
      const ranges = t.partitions.map((p) => {
        const from = p.high - BigInt(n) > p.low ? p.high - BigInt(n) : p.low;
        return { topic: t.topic, partition: p.partition, from, to: p.high };
      });
      const records = await readAll(kafka, { ranges });
      // The newest `n` over all partitions, oldest first.
      const newest = records.sort((a, b) => a.timestamp - b.timestamp).slice(-n);
      entry.last = await Promise.all(
        newest.map(async (r): Promise<ListedDeadLetter> => {
          const view: ListedDeadLetter = viewDeadLetter(r);
          const source = decoder ? originalRecord(r) : undefined;
          if (decoder && source) {
            try {
              view.payload = (await decoder.decode(source)).payload;
            } catch (e) {
              view.payloadError = e instanceof Error ? e.message : String(e);
            }
          }
          return view;
        }),
      );
      return entry;
    }),
  );
  return { topics, hidden: found.hidden };
}

/** The listing as text (pure). */
export function formatDeadLetterListing(listing: DeadLetterListing): string[] {
  const out: string[] = [];
  if (listing.topics.length === 0) out.push('no dead-letter topics');
  else
    out.push(
      ...formatTable(
        [
          ['DEAD-LETTER TOPIC', 'GROUP', 'SOURCE', 'MESSAGES', 'NOT REPLAYED'],
          ...listing.topics.map((t) => [t.topic, t.group, t.source, String(t.messages), String(t.pending)]),
        ],
        ['left', 'left', 'left', 'right', 'right'],
      ),
    );
  for (const t of listing.topics) {
    if (!t.last) continue;
    out.push('', `${t.topic}: last ${t.last.length} of ${t.messages}`);
    for (const d of t.last) {
      out.push(...formatDeadLetter(d).map((l) => `  ${l}`));
      if (d.payload !== undefined) out.push(`    payload   ${toJson(d.payload)}`);
      if (d.payloadError !== undefined) out.push(`    payload   cannot be decoded: ${d.payloadError}`);
    }
  }
  if (listing.hidden > 0)
    out.push('', `not shown: ${listing.hidden} dead-letter topic(s) of test groups (--all lists them)`);
  return out;
}

/** JSON that survives the types Avro decoding produces (bigint, Buffer). */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && 'data' in v)
        return Buffer.from((v as { data: number[] }).data).toString('base64');
      return v;
    },
    indent,
  );
}
