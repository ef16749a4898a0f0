import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { OutstreamConfig } from '../../core/config.ts';
import { createKafka, headerText, type KafkaClient, type KafkaRecord } from '../../core/kafka/index.ts';
import { decodePayload, type EventType, unframe } from '../../schemas/index.ts';
import { type CommittedEvent, emptyTotals, type HotelTotals } from './expect.ts';

/** The event topics the suite's load writes to. */
export const loadTopics = ['events.booking', 'events.room', 'events.user'] as const;
/** The consumer groups `npm start` runs. */
export const groupIds = ['notifications', 'cache-invalidation', 'analytics'] as const;

/**
 * Independent reads of everything the platform produced, straight from the stores (the
 * outbox and the tables with SQL, the topics with the Kafka port's bounded reader, Redis, the
 * SMTP sink's files): nothing goes through the code under test. Each read may fail while a
 * component is down; callers retry within their deadline.
 */
export function createWitness(config: OutstreamConfig) {
  const pool = new pg.Pool({ connectionString: config.database.url, max: 4 });
  // Restarts of the database kill connections, idle or checked out: not a reason to crash
  // the suite (the query that was running fails, and is retried within its deadline).
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const kafka: KafkaClient = createKafka({ brokers: config.kafka.brokers, clientId: 'faults-witness' });
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => {});
  const positions = new Map<string, bigint>();
  const known = new Map<string, CommittedEvent>();
  const mailSeen = new Set<string>();
  const mailCopies = new Map<string, number>();
  const mailDir = path.join(config.stack.dir, 'smtp', 'mail');

  return {
    kafka,
    pool,
    /**
     * Every event of the run the outbox holds (rows are retained), decoded; rows not seen
     * before are given `phase`. Call it when no transaction of the run is in flight.
     */
    async committed(actor: string, phase: number): Promise<CommittedEvent[]> {
      const { rows } = await pool.query<{
        event_id: string;
        event_type: string;
        aggregate_type: string;
        aggregate_id: string;
        sequence: string;
        payload: Buffer;
      }>(
        `SELECT event_id::text, event_type, aggregate_type, aggregate_id, sequence, payload
         FROM outbox WHERE actor = $1`,
        [actor],
      );
      for (const r of rows) {
        if (known.has(r.event_id)) continue;
        const p = decodePayload(r.event_type as EventType, unframe(r.payload).body) as unknown as Record<
          string,
          unknown
        >;
        const amount = (p.totalAmount ?? p.finalAmount) as string | undefined;
        known.set(r.event_id, {
          id: r.event_id,
          type: r.event_type,
          aggregateType: r.aggregate_type,
          aggregateId: r.aggregate_id,
          sequence: Number(r.sequence),
          hotelId: (p.hotelId as string | null | undefined) ?? null,
          ...(typeof p.guestId === 'string' ? { guestId: p.guestId } : {}),
          ...(typeof p.userId === 'string' ? { userId: p.userId, role: p.role as string } : {}),
          ...(r.event_type === 'booking.confirmed' || r.event_type === 'booking.checked_out'
            ? { amount }
            : {}),
          phase,
        });
      }
      return [...known.values()];
    },

    /** Reads the topics from where the last call stopped to their current ends. */
    async readTopics(onRecord: (r: KafkaRecord) => void): Promise<void> {
      const ranges = await kafka.withAdmin(async (admin) => {
        const out = [];
        for (const topic of loadTopics) {
          for (const b of await admin.partitionBounds(topic)) {
            const from = positions.get(`${topic}/${b.partition}`) ?? b.low;
            if (b.high > from) out.push({ topic, partition: b.partition, from, to: b.high });
          }
        }
        return out;
      });
      if (ranges.length === 0) return;
      const ends = new Map(ranges.map((r) => [`${r.topic}/${r.partition}`, r.to]));
      const reader = kafka.reader();
      try {
        for await (const batch of reader.read({ ranges, timeoutMs: 30_000 })) {
          for (const r of batch.records) onRecord(r);
          // A bounded read drops the records at and past `to` from a fetched batch but keeps
          // the batch's nextOffset: following it would skip them on the next read.
          const k = `${batch.topic}/${batch.partition}`;
          const end = ends.get(k)!;
          let next = batch.nextOffset;
          if (next > end) next = end;
          positions.set(k, next);
        }
      } finally {
        await reader.close();
      }
    },

    /** Inbox rows per `event id/recipient` for the given events (a count above 1 is a duplicate). */
    async inboxRows(ids: readonly string[]): Promise<Map<string, number>> {
      const { rows } = await pool.query<{ k: string; n: string }>(
        `SELECT source_event_id::text || '/' || recipient_id AS k, count(*) AS n FROM notifications
         WHERE source_event_id = ANY($1::uuid[]) GROUP BY 1`,
        [ids],
      );
      return new Map(rows.map((r) => [r.k, Number(r.n)]));
    },

    /** How many of `ids` analytics has counted. */
    async counted(ids: readonly string[]): Promise<number> {
      const { rows } = await pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM analytics.counted_events WHERE event_id = ANY($1::uuid[])',
        [ids],
      );
      return Number(rows[0]!.n);
    },

    /** Analytics totals of the given hotels, read from its tables. */
    async totals(hotels: readonly string[]): Promise<Map<string, HotelTotals>> {
      const out = new Map<string, HotelTotals>();
      const of = (h: string) => {
        let t = out.get(h);
        if (!t) {
          t = emptyTotals();
          out.set(h, t);
        }
        return t;
      };
      const hourly = await pool.query<{ hotel_id: string; event_type: string; n: string }>(
        `SELECT hotel_id, event_type, sum(events) AS n FROM analytics.events_hourly
         WHERE hotel_id = ANY($1) GROUP BY 1, 2`,
        [hotels],
      );
      for (const r of hourly.rows) of(r.hotel_id).events[r.event_type] = Number(r.n);
      const funnel = await pool.query<Record<string, string>>(
        `SELECT hotel_id, sum(created) AS created, sum(confirmed) AS confirmed, sum(checked_in) AS checked_in,
                sum(checked_out) AS checked_out FROM analytics.booking_funnel_daily
         WHERE hotel_id = ANY($1) GROUP BY 1`,
        [hotels],
      );
      for (const r of funnel.rows) {
        of(r.hotel_id!).funnel = {
          created: Number(r.created),
          confirmed: Number(r.confirmed),
          checked_in: Number(r.checked_in),
          checked_out: Number(r.checked_out),
        };
      }
      const money = await pool.query<{ hotel_id: string; booked: string; settled: string }>(
        `SELECT hotel_id, (sum(booked) * 100)::bigint::text AS booked, (sum(settled) * 100)::bigint::text AS settled
         FROM analytics.revenue_daily WHERE hotel_id = ANY($1) GROUP BY 1`,
        [hotels],
      );
      for (const r of money.rows) {
        of(r.hotel_id).bookedCents = BigInt(r.booked);
        of(r.hotel_id).settledCents = BigInt(r.settled);
      }
      return out;
    },

    /** Emails the SMTP sink stored, per `X-Outstream-Event-Id` (from its files, read once each). */
    emails(): Map<string, number> {
      let files: string[] = [];
      try {
        files = readdirSync(mailDir).filter((f) => f.endsWith('.json'));
      } catch {
        return mailCopies;
      }
      for (const f of files) {
        if (mailSeen.has(f)) continue;
        try {
          const mail = JSON.parse(readFileSync(path.join(mailDir, f), 'utf8')) as {
            headers: Record<string, string>;
          };
          mailSeen.add(f);
          const id = mail.headers['x-outstream-event-id'];
          if (id) mailCopies.set(id, (mailCopies.get(id) ?? 0) + 1);
        } catch {
          // being written right now: read on the next call
        }
      }
      return mailCopies;
    },

    /** The cache group's per-aggregate sequence watermarks in Redis. */
    async cacheSequences(aggregates: readonly { type: string; id: string }[]): Promise<number[]> {
      if (redis.status === 'wait') await redis.connect();
      const keys = aggregates.map((a) => `outstream:cache:seq:${a.type}:${a.id}`);
      const out: number[] = [];
      for (let i = 0; i < keys.length; i += 1_000) {
        const values = await redis.mget(...keys.slice(i, i + 1_000));
        out.push(...values.map((v) => Number(v ?? 0)));
      }
      return out;
    },

    /** Records on every dead-letter topic (`<topic>.dlq.<group>`), by topic. */
    async deadLetters(): Promise<Record<string, number>> {
      return kafka.withAdmin(async (admin) => {
        const out: Record<string, number> = {};
        for (const topic of (await admin.listTopics()).filter((t) => t.includes('.dlq.'))) {
          const bounds = await admin.partitionBounds(topic);
          out[topic] = bounds.reduce((n, b) => n + Number(b.high - b.low), 0);
        }
        return out;
      });
    },

    /**
     * Each group's lag on the load's topics (log end minus committed offset, summed), with
     * `<group> <topic>` entries for the topics where it is not 0.
     */
    async lag(): Promise<Record<string, number>> {
      return kafka.withAdmin(async (admin) => {
        // Commits first, ends after: under load the other order reads commits past the ends.
        const described = await admin.describeGroups(groupIds);
        const committed = await Promise.all(groupIds.map((g) => admin.committedOffsets(g, loadTopics)));
        const ends = new Map<string, bigint>();
        for (const topic of loadTopics)
          for (const b of await admin.partitionBounds(topic)) ends.set(`${topic}/${b.partition}`, b.high);
        const out: Record<string, number> = {};
        groupIds.forEach((group, g) => {
          const at = new Map(committed[g]!.map((c) => [`${c.topic}/${c.partition}`, c.offset]));
          // The topics the group reads: what its members are assigned, and what it committed on.
          const reads = new Set(committed[g]!.map((c) => c.topic));
          for (const m of described.find((d) => d.groupId === group)?.members ?? [])
            for (const a of m.assignment) reads.add(a.topic);
          let lag = 0n;
          for (const [k, end] of ends) {
            if (!reads.has(k.slice(0, k.indexOf('/')))) continue;
            const behind = end - (at.get(k) ?? 0n);
            if (behind <= 0n) continue;
            lag += behind;
            const topic = `${group} ${k.slice(0, k.indexOf('/'))}`;
            out[topic] = (out[topic] ?? 0) + Number(behind);
          }
          out[group] = Number(lag);
        });
        return out;
      });
    },

    /** The group protocol each consumer group runs, as the brokers report it. */
    async protocols(): Promise<Record<string, string>> {
      const listed = await kafka.withAdmin((admin) => admin.listGroups());
      return Object.fromEntries(
        groupIds.map((g) => [g, listed.find((l) => l.groupId === g)?.protocol ?? 'unknown']),
      );
    },

    /**
     * When each event's effects were recorded (ms epoch): its last inbox row's `created_at`
     * and analytics' `counted_at` (missing when there is none).
     */
    async effectsOf(ids: readonly string[]): Promise<Map<string, { inbox?: number; analytics?: number }>> {
      const { rows } = await pool.query<{ id: string; inbox: Date | null; analytics: Date | null }>(
        `SELECT e.id::text AS id,
                (SELECT max(created_at) FROM notifications WHERE source_event_id = e.id) AS inbox,
                (SELECT counted_at FROM analytics.counted_events WHERE event_id = e.id) AS analytics
         FROM unnest($1::uuid[]) AS e(id)`,
        [ids],
      );
      return new Map(
        rows.map((r) => [
          r.id,
          {
            ...(r.inbox ? { inbox: r.inbox.getTime() } : {}),
            ...(r.analytics ? { analytics: r.analytics.getTime() } : {}),
          },
        ]),
      );
    },

    /** The database's idea of when an effect happened (ms epoch), for recovery times. */
    async effectTimes(id: string): Promise<{ inbox?: number; analytics?: number }> {
      const { rows } = await pool.query<{ inbox: Date | null; analytics: Date | null }>(
        `SELECT (SELECT min(created_at) FROM notifications WHERE source_event_id = $1) AS inbox,
                (SELECT counted_at FROM analytics.counted_events WHERE event_id = $1) AS analytics`,
        [id],
      );
      const r = rows[0]!;
      return {
        ...(r.inbox ? { inbox: r.inbox.getTime() } : {}),
        ...(r.analytics ? { analytics: r.analytics.getTime() } : {}),
      };
    },

    async close(): Promise<void> {
      redis.disconnect();
      await pool.end().catch(() => {});
    },
  };
}

/** The witness {@link createWitness} returns. */
export type Witness = ReturnType<typeof createWitness>;

/** The record's event id, aggregate and sequence, from its envelope headers. */
export function envelopeOf(
  r: KafkaRecord,
): { eventId: string; aggregate: string; sequence: number } | undefined {
  const eventId = headerText(r.headers, 'event-id');
  const sequence = headerText(r.headers, 'sequence');
  if (!eventId || !sequence) return undefined;
  return { eventId, aggregate: `${r.topic}/${r.key?.toString() ?? ''}`, sequence: Number(sequence) };
}
