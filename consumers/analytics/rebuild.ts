import type pg from 'pg';
import { isOutstreamError } from '../../core/errors.ts';
import type { BoundedRange, KafkaClient } from '../../core/kafka/index.ts';
import { type AnyEvent, topics } from '../../schemas/index.ts';
import type { EventDecoder } from '../decoder.ts';
import { applyFacts, liveSchema, schemaIdent, type Tx } from './aggregate.ts';
import { factOf } from './rules.ts';

/**
 * The advisory lock between the live group and a swap: every live batch holds it shared for
 * its transaction (`analytics_apply_facts`, migration 009, which spells the same number), the
 * swap holds it exclusively while it catches up and renames schemas.
 */
export const swapLockKey = 0x616e6c74;

/** Grand totals of one schema, for comparing a rebuild with the live tables. */
export interface Totals {
  events: number;
  funnel: Record<'created' | 'confirmed' | 'checked_in' | 'checked_out' | 'cancelled', number>;
  /** Per currency: booked, refunded, settled (exact decimal strings). */
  revenue: Record<string, { booked: string; refunded: string; settled: string }>;
}

/** Reads the grand totals of an analytics schema. */
export async function totalsOf(db: Tx, schema: string): Promise<Totals> {
  const s = schemaIdent(schema);
  const [e, f, r] = await Promise.all([
    db.query<{ n: string | null }>(`SELECT sum(events) AS n FROM ${s}.events_hourly`),
    db.query<Record<keyof Totals['funnel'], string | null>>(
      `SELECT sum(created) AS created, sum(confirmed) AS confirmed, sum(checked_in) AS checked_in,
              sum(checked_out) AS checked_out, sum(cancelled) AS cancelled FROM ${s}.booking_funnel_daily`,
    ),
    db.query<{ currency: string; booked: string; refunded: string; settled: string }>(
      `SELECT currency, sum(booked) AS booked, sum(refunded) AS refunded, sum(settled) AS settled
       FROM ${s}.revenue_daily GROUP BY 1 ORDER BY 1`,
    ),
  ]);
  const row = f.rows[0]!;
  return {
    events: Number(e.rows[0]?.n ?? 0),
    funnel: {
      created: Number(row.created ?? 0),
      confirmed: Number(row.confirmed ?? 0),
      checked_in: Number(row.checked_in ?? 0),
      checked_out: Number(row.checked_out ?? 0),
      cancelled: Number(row.cancelled ?? 0),
    },
    revenue: Object.fromEntries(
      r.rows.map((x) => [x.currency, { booked: x.booked, refunded: x.refunded, settled: x.settled }]),
    ),
  };
}

/** Options of {@link rebuildAnalytics}. */
export interface RebuildOptions {
  kafka: KafkaClient;
  decoder: EventDecoder;
  pool: pg.Pool;
  /** Schema to rebuild into (dropped and recreated first). Default `analytics_rebuild`. */
  target?: string;
  /** The live schema (default `analytics`). */
  live?: string;
  /**
   * Replace the live schema with the rebuilt one (the old one is kept, renamed
   * `<live>_replaced_<time>`). The live group is paused by a lock meanwhile, and the
   * rebuild first catches up to what the live group counted, so no event is lost or doubled.
   */
  swap?: boolean;
  log?: (line: string) => void;
}

/** What a rebuild did. */
export interface RebuildResult {
  target: string;
  events: number;
  undecodable: number;
  rebuilt: Totals;
  live: Totals;
  /** True when the rebuilt grand totals equal the live ones (before any swap). */
  same: boolean;
  /** With `swap`: the name the old live schema was given. */
  replacedBy?: string;
}

/**
 * Recomputes the analytics from the start of the topics into fresh tables: the same rules
 * and the same aggregation SQL as the live group, one transaction per fetched batch. Topics
 * keep 7 days: anything older than the retention is only in the live tables.
 */
export async function rebuildAnalytics(o: RebuildOptions): Promise<RebuildResult> {
  const target = o.target ?? 'analytics_rebuild';
  const live = o.live ?? liveSchema;
  const log = o.log ?? (() => {});
  if (target === live) throw new RangeError('rebuild target must differ from the live schema');
  const t = schemaIdent(target);
  await o.pool.query(`DROP SCHEMA IF EXISTS ${t} CASCADE`);
  await o.pool.query('SELECT analytics_create_tables($1)', [target]);
  const ranges = await topicRanges(o.kafka, topics);
  const total = ranges.reduce((n, r) => n + Number(r.to - r.from), 0);
  log(`rebuilding ${target} from ${ranges.length} partitions of ${topics.length} topics (${total} records)`);
  const started = Date.now();
  let done = 0;
  let lastLog = 0;
  const stats = await readEvents(o.kafka, o.decoder, ranges, async (events) => {
    const client = await o.pool.connect();
    try {
      await client.query('BEGIN');
      await applyFacts(client, events.map(factOf), target);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
    done += events.length;
    if (Date.now() - lastLog > 2_000) {
      lastLog = Date.now();
      log(`  ${done}/${total} events`);
    }
  });
  log(
    `read ${stats.events} events in ${((Date.now() - started) / 1000).toFixed(1)} s` +
      (stats.undecodable > 0 ? ` (${stats.undecodable} undecodable records skipped)` : ''),
  );
  const [rebuilt, liveTotals] = await Promise.all([totalsOf(o.pool, target), totalsOf(o.pool, live)]);
  const result: RebuildResult = {
    target,
    events: stats.events,
    undecodable: stats.undecodable,
    rebuilt,
    live: liveTotals,
    same: JSON.stringify(rebuilt) === JSON.stringify(liveTotals),
  };
  if (o.swap) result.replacedBy = await swapIn(o, target, live, ranges, log);
  return result;
}

/**
 * Catches the rebuilt schema up to the topics' current end and renames it into place, all
 * under the exclusive swap lock (live batches wait). Live and rebuilt then hold the same
 * events, so the live group resumes on the new tables without losing or doubling any:
 * what it redelivers is found in `counted_events`.
 */
async function swapIn(
  o: RebuildOptions,
  target: string,
  live: string,
  firstPass: readonly BoundedRange[],
  log: (line: string) => void,
): Promise<string> {
  const replaced = `${live}_replaced_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`;
  const client = await o.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [swapLockKey]);
    const now = await topicRanges(o.kafka, topics);
    const ends = new Map(firstPass.map((r) => [`${r.topic}/${r.partition}`, r.to]));
    const rest = now.map((r) => ({ ...r, from: ends.get(`${r.topic}/${r.partition}`) ?? r.from }));
    const caught = await readEvents(o.kafka, o.decoder, rest, async (events) => {
      await applyFacts(client, events.map(factOf), target);
    });
    await client.query(`ALTER SCHEMA ${schemaIdent(live)} RENAME TO ${schemaIdent(replaced)}`);
    await client.query(`ALTER SCHEMA ${schemaIdent(target)} RENAME TO ${schemaIdent(live)}`);
    await client.query('COMMIT');
    log(`caught up ${caught.events} more events; ${target} is now ${live}, the old tables are ${replaced}`);
    return replaced;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

/** Each partition of `topics` from its first offset held to its end, as of now. */
async function topicRanges(kafka: KafkaClient, names: readonly string[]): Promise<BoundedRange[]> {
  return kafka.withAdmin(async (admin) => {
    const present = await admin.describeTopics(names);
    const bounds = await Promise.all(
      present.map(async ({ topic }) => ({ topic, bounds: await admin.partitionBounds(topic) })),
    );
    return bounds.flatMap(({ topic, bounds }) =>
      bounds.map((b) => ({ topic, partition: b.partition, from: b.low, to: b.high })),
    );
  });
}

/** What {@link readEvents} read. */
interface ReadStats {
  events: number;
  /** Records that could not be decoded (the live group dead-letters them): not counted. */
  undecodable: number;
}

/**
 * Reads exactly `ranges` (group-less), decoding each record, and hands every fetched batch
 * (one partition's slice) to `onBatch` before fetching on.
 */
async function readEvents(
  kafka: KafkaClient,
  decoder: EventDecoder,
  ranges: readonly BoundedRange[],
  onBatch: (events: AnyEvent[]) => Promise<void>,
): Promise<ReadStats> {
  const stats: ReadStats = { events: 0, undecodable: 0 };
  const records = ranges.reduce((n, r) => n + Number(r.to - r.from), 0);
  // The read's deadline grows with its size: one slower than 100 records a second has stalled.
  const timeoutMs = 60_000 + records * 10;
  const reader = kafka.reader();
  try {
    for await (const batch of reader.read({ ranges, timeoutMs })) {
      const events: AnyEvent[] = [];
      for (const record of batch.records) {
        try {
          events.push(await decoder.decode(record));
        } catch (e) {
          if (!isOutstreamError(e)) throw e;
          stats.undecodable++;
        }
      }
      if (events.length > 0) await onBatch(events);
      stats.events += events.length;
    }
  } finally {
    await reader.close();
  }
  return stats;
}
