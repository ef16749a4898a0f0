import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.ts';
import { createKafka } from '../core/kafka/index.ts';
import { waitFor } from '../core/wait.ts';
import { type Capture, captureTopics } from '../test/capture.ts';
import { envelopeHeaders } from './outbox-connector.ts';

// The raw pipeline, below the typed producer: rows written with plain SQL must come out of
// Kafka byte for byte, keyed by aggregate, with the envelope in headers.
const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const topic = 'events.booking';
let pool: pg.Pool;
let capture: Capture;

interface Row {
  eventId: string;
  aggregateId: string;
  sequence: number;
  payload: Buffer;
}

function row(aggregateId: string, sequence: number): Row {
  // Confluent framing (magic 0 + schema id) then arbitrary bytes: all 256 values appear.
  const payload = Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), randomBytes(64)]);
  return { eventId: randomUUID(), aggregateId, sequence, payload };
}

async function insert(client: pg.ClientBase | pg.Pool, rows: Row[]) {
  for (const r of rows) {
    await client.query(
      `INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, sequence, occurred_at, actor, traceparent, payload)
       VALUES ($1, 'booking', $2, 'booking.created', $3, now(), 'user:test', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', $4)`,
      [r.eventId, r.aggregateId, r.sequence, r.payload],
    );
  }
}

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url, max: 4 });
  capture = await captureTopics(kafka, [topic]);
});

afterAll(async () => {
  await capture?.stop();
  await pool?.end();
});

describe('outbox → Debezium → Kafka', () => {
  it('publishes a committed row with key = aggregate id, identical bytes and the envelope headers', async () => {
    const r = row(`b-${randomUUID()}`, 1);
    await insert(pool, [r]);
    await capture.until((ms) => ms.some((m) => m.headers[envelopeHeaders.eventId] === r.eventId));
    const m = capture.messages.find((x) => x.headers[envelopeHeaders.eventId] === r.eventId)!;
    expect(m.key).toBe(r.aggregateId);
    expect(Buffer.compare(m.value!, r.payload)).toBe(0);
    expect(m.headers).toMatchObject({
      [envelopeHeaders.eventType]: 'booking.created',
      [envelopeHeaders.aggregateType]: 'booking',
      [envelopeHeaders.aggregateId]: r.aggregateId,
      [envelopeHeaders.sequence]: '1',
      [envelopeHeaders.actor]: 'user:test',
      [envelopeHeaders.traceparent]: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    expect(Number.isNaN(Date.parse(m.headers[envelopeHeaders.occurredAt]!))).toBe(false);
  });

  it('publishes nothing for a rolled-back transaction', async () => {
    const aggregateId = `b-${randomUUID()}`;
    const rolledBack = row(aggregateId, 1);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await insert(client, [rolledBack]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    // A later committed row on the same key lands in the same partition after anything the
    // rolled-back one could have produced: once it is seen, the absence is proven.
    const marker = row(aggregateId, 1);
    await insert(pool, [marker]);
    await capture.until((ms) => ms.some((m) => m.headers[envelopeHeaders.eventId] === marker.eventId));
    expect(
      capture.messages.filter((m) => m.key === aggregateId).map((m) => m.headers[envelopeHeaders.eventId]),
    ).toEqual([marker.eventId]);
  });

  it('keeps the replication slot advancing while the outbox is idle and other tables churn', async () => {
    // Without the heartbeat table in the publication, Debezium gets nothing to confirm and the
    // slot pins every WAL segment written by other tables.
    await pool.query('CREATE TABLE IF NOT EXISTS test_churn (id serial PRIMARY KEY, pad text)');
    const { rows } = await pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const before = rows[0]!.lsn;
    await pool.query("INSERT INTO test_churn (pad) SELECT repeat('x', 500) FROM generate_series(1, 5000)");
    const confirmedPast = async () => {
      const r = await pool.query<{ ok: boolean }>(
        `SELECT confirmed_flush_lsn > $1::pg_lsn AS ok FROM pg_replication_slots WHERE slot_name = 'outstream_outbox'`,
        [before],
      );
      return r.rows[0]?.ok === true;
    };
    await waitFor(confirmedPast, {
      timeoutMs: 30_000,
      what: 'the slot to confirm a position past the churn',
    });
    await pool.query('TRUNCATE test_churn');
  });

  it('delivers 1,000 rows over 50 aggregates with every aggregate in sequence order', async () => {
    const run = randomUUID().slice(0, 8);
    const aggregates = Array.from({ length: 50 }, (_, i) => `b-${run}-${i}`);
    // Ten concurrent writers, each owning five aggregates and committing one transaction per
    // sequence step: commits of different aggregates interleave; one aggregate's never race.
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        const mineToWrite = aggregates.filter((_, i) => i % 10 === w);
        const client = await pool.connect();
        try {
          for (let s = 1; s <= 20; s++) {
            await client.query('BEGIN');
            await insert(
              client,
              mineToWrite.map((a) => row(a, s)),
            );
            await client.query('COMMIT');
          }
        } finally {
          client.release();
        }
      }),
    );
    const mine = () => capture.messages.filter((m) => m.key?.startsWith(`b-${run}-`));
    await capture.until(() => mine().length >= 1000, 90_000, '1,000 messages');
    expect(mine()).toHaveLength(1000);
    for (const a of aggregates) {
      const seqs = mine()
        .filter((m) => m.key === a)
        .map((m) => Number(m.headers[envelopeHeaders.sequence]));
      expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    }
  });
});
