import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorStatus } from '../../connect/connect-rest.ts';
import { maxEventBytes } from '../../connect/event-limit.ts';
import { envelopeHeaders } from '../../connect/outbox-connector.ts';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { type Capture, captureTopics } from '../../test/capture.ts';

// A service in another language writes public.outbox with plain SQL, bypassing emit(): the
// database refuses a row Kafka would refuse (migration 007), so the connector never stops on
// one, and the writer learns it at its INSERT.
const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const topic = 'events.booking';
const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
let pool: pg.Pool;
let capture: Capture;

interface Row {
  eventId: string;
  aggregateId: string;
  aggregateType?: string;
  sequence: number;
  payload: Buffer;
  actor?: string;
  tracestate?: string;
}

function row(aggregateId: string, sequence: number, payloadBytes = 64): Row {
  // Confluent framing (magic 0, a schema id), then arbitrary bytes.
  const payload = Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), randomBytes(payloadBytes - 5)]);
  return { eventId: randomUUID(), aggregateId, sequence, payload };
}

async function insert(db: pg.ClientBase | pg.Pool, r: Row) {
  await db.query(
    `INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, sequence, occurred_at, actor, traceparent, tracestate, payload)
     VALUES ($1, $2, $3, 'booking.created', $4, now(), $5, $6, $7, $8)`,
    [
      r.eventId,
      r.aggregateType ?? 'booking',
      r.aggregateId,
      r.sequence,
      r.actor,
      traceparent,
      r.tracestate,
      r.payload,
    ],
  );
}

async function refusal(work: Promise<unknown>): Promise<pg.DatabaseError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e as pg.DatabaseError,
  );
  if (!error) throw new Error('the row was accepted');
  return error;
}

const published = (eventId: string) => (ms: Capture['messages']) =>
  ms.some((m) => m.headers[envelopeHeaders.eventId] === eventId);

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url, max: 3 });
  capture = await captureTopics(kafka, [topic]);
});

afterAll(async () => {
  await capture?.stop();
  await pool?.end();
});

describe('the outbox guard (a writer that bypasses emit())', () => {
  it("refuses a 2 MB row at its INSERT, naming its size and the limit, and nothing of the writer's transaction is published", async () => {
    const key = `b-${randomUUID()}`;
    const inTx = row(key, 1);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await insert(client, inTx);
      const error = await refusal(insert(client, row(key, 2, 2_000_000)));
      expect(error.code).toBe('54000'); // program_limit_exceeded
      expect(error.message).toMatch(
        new RegExp(
          `is 2000\\d{3} bytes \\(payload 2000000, envelope and headers \\d+\\): the limit is ${maxEventBytes} bytes`,
        ),
      );
      expect(error.hint).toMatch(/connector would stop/);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }

    // Committed after the refusal, on the same key and another: published, in order.
    const after = [row(key, 1), row(key, 2), row(`b-${randomUUID()}`, 1)];
    for (const r of after) await insert(pool, r);
    await capture.until(
      (ms) => after.every((r) => published(r.eventId)(ms)),
      60_000,
      'the rows committed after',
    );
    expect(
      capture.messages.filter((m) => m.key === key).map((m) => m.headers[envelopeHeaders.eventId]),
    ).toEqual([after[0]!.eventId, after[1]!.eventId]);
    const status = await connectorStatus(config.connect.url, config.connect.connectorName);
    expect(status?.tasks.map((t) => t.state)).toEqual(['RUNNING']);
  });

  it('publishes an event of exactly the limit with the largest envelope emit() allows, bytes intact; one byte more is refused', async () => {
    // 255 three-byte characters: the key travels twice (record key and header).
    const base = { aggregateId: '€'.repeat(255), actor: 'a'.repeat(255), tracestate: 's'.repeat(512) };
    const envelope =
      Buffer.byteLength('booking.created') +
      Buffer.byteLength(base.aggregateId) +
      base.actor.length +
      traceparent.length +
      base.tracestate.length +
      256;
    const fits = { ...row('unused', 1, maxEventBytes - envelope), ...base };
    const { rows } = await pool.query<{ size: string }>(
      'SELECT outbox_event_bytes($1, $2, $3, $4, $5, $6) AS size',
      [fits.payload, 'booking.created', fits.aggregateId, fits.actor, traceparent, fits.tracestate],
    );
    expect(Number(rows[0]!.size)).toBe(maxEventBytes);

    const tooBig = { ...row('unused', 2, maxEventBytes - envelope + 1), ...base };
    expect((await refusal(insert(pool, tooBig))).code).toBe('54000');
    await insert(pool, fits);
    await capture.until(published(fits.eventId), 60_000, 'the event of the largest size');
    const m = capture.messages.find((x) => x.headers[envelopeHeaders.eventId] === fits.eventId)!;
    expect(m.key).toBe(fits.aggregateId);
    expect(Buffer.compare(m.value!, fits.payload)).toBe(0);
    expect(m.headers[envelopeHeaders.tracestate]).toBe(fits.tracestate);
  });

  it("holds emit()'s limit: outbox_max_event_bytes() is maxEventBytes", async () => {
    const { rows } = await pool.query<{ limit: number }>('SELECT outbox_max_event_bytes() AS limit');
    expect(rows[0]!.limit).toBe(maxEventBytes);
  });

  it('refuses an aggregate id over 255 characters and an aggregate type too long for a topic name', async () => {
    const longKey = await refusal(insert(pool, row('k'.repeat(256), 1)));
    expect(longKey.code).toBe('22001');
    expect(longKey.message).toMatch(/aggregate_id of 256 characters: the limit is 255/);
    const longType = await refusal(insert(pool, { ...row('k', 1), aggregateType: 't'.repeat(243) }));
    expect(longType.code).toBe('22001');
    expect(longType.message).toMatch(/topic names end at 249/);
  });
});
