import { randomUUID } from 'node:crypto';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeHeaders } from '../connect/outbox-connector.ts';
import { loadConfig } from '../core/config.ts';
import { ErrorCode, type InvalidEventError, isOutstreamError } from '../core/errors.ts';
import { createKafka } from '../core/kafka/index.ts';
import { createSchemaRegistry } from '../core/schema-registry.ts';
import { type BookingCreated, logicalTypes, samples } from '../schemas/index.ts';
import { type Capture, captureTopics } from '../test/capture.ts';
import { withTx } from '../test/db.ts';
import { createEmitter, createSchemaIds, maxEventBytes } from './index.ts';

const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const schemaIds = createSchemaIds(createSchemaRegistry({ url: config.registry.url }));
const emitter = createEmitter({
  schemaIds,
});
// The independent decoder: the registry client library, fetching the writer schema by id.
const independent = new SchemaRegistry(
  { host: config.registry.url },
  { [SchemaType.AVRO]: { logicalTypes } },
);
let pool: pg.Pool;
let capture: Capture;

const booking = (bookingId: string): BookingCreated => ({ ...samples['booking.created'], bookingId });
const byAggregate = (id: string) => capture.messages.filter((m) => m.key === id);
const seqOf = (m: { headers: Record<string, string> }) => Number(m.headers[envelopeHeaders.sequence]);

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url, max: 25 });
  capture = await captureTopics(kafka, ['events.booking']);
});
afterAll(async () => {
  await capture?.stop();
  await pool?.end();
});

describe('emit()', () => {
  it('publishes a typed event that an independent decoder reads back, with the envelope in headers', async () => {
    const id = randomUUID();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const emitted = await withTx(pool, (tx) =>
      emitter.emit(tx, {
        type: 'booking.created',
        aggregateId: id,
        payload: booking(id),
        actor: 'user:42',
        trace: { traceparent, tracestate: 'vendor=1' },
      }),
    );
    expect(emitted).toMatchObject({ topic: 'events.booking', sequence: 1, duplicate: false });
    await capture.until(() => byAggregate(id).length === 1);
    const [m] = byAggregate(id);
    const decoded = await independent.decode(m!.value!);
    expect(JSON.parse(JSON.stringify(decoded))).toEqual(JSON.parse(JSON.stringify(booking(id))));
    expect(decoded.createdAt).toEqual(samples['booking.created'].createdAt);
    expect(m!.headers).toMatchObject({
      [envelopeHeaders.eventId]: emitted.eventId,
      [envelopeHeaders.eventType]: 'booking.created',
      [envelopeHeaders.aggregateType]: 'booking',
      [envelopeHeaders.aggregateId]: id,
      [envelopeHeaders.sequence]: '1',
      [envelopeHeaders.actor]: 'user:42',
      [envelopeHeaders.traceparent]: traceparent,
      [envelopeHeaders.tracestate]: 'vendor=1',
    });
    // UUIDv7: version nibble 7, and the embedded time is now.
    expect(emitted.eventId[14]).toBe('7');
    expect(
      Math.abs(Number.parseInt(emitted.eventId.replaceAll('-', '').slice(0, 12), 16) - Date.now()),
    ).toBeLessThan(60_000);
  });

  it('rejects invalid payloads naming every offending field, and writes nothing', async () => {
    const id = randomUUID();
    const bad: unknown[] = [
      { ...booking(id), reference: undefined }, // missing field
      { ...booking(id), partySize: 'two' }, // wrong type
      { ...booking(id), status: 'BOOKED' }, // bad enum symbol
      { ...booking(id), guest: null }, // null where not allowed
      { ...booking(id), createdAt: '2025-06-02T09:14:03Z' }, // string for a timestamp-millis Date
      { ...booking(id), totalAmount: '12.345' }, // decimal with too many places
      { ...booking(id), partySize: 'two', guest: { name: 'A', email: 42 } }, // several at once
    ];
    const expectedPaths = [
      ['payload.reference'],
      ['payload.partySize'],
      ['payload.status'],
      ['payload.guest'],
      ['payload.createdAt'],
      ['payload.totalAmount'],
      ['payload.partySize', 'payload.guest.email'],
    ];
    for (const [i, payload] of bad.entries()) {
      const error = await withTx(pool, (tx) =>
        emitter.emit(tx, { type: 'booking.created', aggregateId: id, payload: payload as BookingCreated }),
      ).catch((e: unknown) => e);
      expect(isOutstreamError(error, ErrorCode.invalidEvent), String(error)).toBe(true);
      expect((error as InvalidEventError).issues.map((x) => x.path).sort()).toEqual(expectedPaths[i]!.sort());
      expect((error as Error).message).toContain(expectedPaths[i]![0]);
    }
    const envelopeError = await withTx(pool, (tx) =>
      emitter.emit(tx, {
        type: 'booking.created',
        aggregateId: '',
        payload: booking(id),
        trace: { traceparent: 'not-a-traceparent' },
      }),
    ).then(
      () => undefined,
      (e: unknown) => e as InvalidEventError,
    );
    expect(envelopeError?.issues.map((x) => x.path).sort()).toEqual(['aggregateId', 'trace.traceparent']);

    const unknownType = await withTx(pool, (tx) =>
      emitter.emit(tx, { type: 'booking.teleported', aggregateId: id, payload: {} } as never),
    ).catch((e: unknown) => e);
    expect(isOutstreamError(unknownType, ErrorCode.unknownEventType)).toBe(true);

    const { rows } = await pool.query(
      'SELECT count(*)::int AS n FROM outbox_sequences WHERE aggregate_id = $1',
      [id],
    );
    expect(rows[0].n).toBe(0);
    // The first valid event of that aggregate is number 1, and the only one on the topic.
    await withTx(pool, (tx) =>
      emitter.emit(tx, { type: 'booking.created', aggregateId: id, payload: booking(id) }),
    );
    await capture.until(() => byAggregate(id).length === 1);
    expect(byAggregate(id).map(seqOf)).toEqual([1]);
  });

  it('refuses to run outside a transaction', async () => {
    const client = await pool.connect();
    try {
      const id = randomUUID();
      const error = await emitter
        .emit(client, { type: 'booking.created', aggregateId: id, payload: booking(id) })
        .then(
          () => undefined,
          (e: unknown) => e as Error,
        );
      expect(error?.message).toMatch(/inside a transaction/);
    } finally {
      client.release();
    }
  });

  it('refuses a pool (statements would autocommit outside any transaction) and writes nothing', async () => {
    const id = randomUUID();
    const error = await emitter
      .emit(pool, { type: 'booking.created', aggregateId: id, payload: booking(id) })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isOutstreamError(error, ErrorCode.invalidEvent)).toBe(true);
    expect((error as Error).message).toMatch(/not a pool/);
    const { rows } = await pool.query(
      'SELECT count(*)::int AS n FROM outbox_sequences WHERE aggregate_id = $1',
      [id],
    );
    expect(rows[0].n).toBe(0);
  });

  it('refuses an event over the declared size limit, naming its size, before writing anything', async () => {
    const id = randomUUID();
    const huge = { ...booking(id), specialRequests: 'x'.repeat(2 * 1024 * 1024) };
    const error = await withTx(pool, (tx) =>
      emitter.emit(tx, { type: 'booking.created', aggregateId: id, payload: huge }),
    ).then(
      () => undefined,
      (e: unknown) => e as InvalidEventError,
    );
    expect(isOutstreamError(error, ErrorCode.invalidEvent)).toBe(true);
    expect(error?.issues).toEqual([
      {
        path: 'payload',
        expected: `an event of at most ${maxEventBytes} bytes (framed Avro payload and envelope)`,
        received: expect.stringMatching(/^2\d{6} bytes$/),
      },
    ]);
    // Just under the limit is published.
    const fits = { ...booking(id), specialRequests: 'x'.repeat(maxEventBytes - 2_000) };
    await withTx(pool, (tx) => emitter.emit(tx, { type: 'booking.created', aggregateId: id, payload: fits }));
    await capture.until(() => byAggregate(id).length === 1);
  });

  it('gives 20 concurrent connections on one aggregate a gap-free increasing sequence; rollbacks leave no gap', async () => {
    const id = randomUUID();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await emitter.emitMany(client, [
            { type: 'booking.created', aggregateId: id, payload: booking(id) },
            {
              type: 'booking.confirmed',
              aggregateId: id,
              payload: { ...samples['booking.confirmed'], bookingId: id },
            },
          ]);
          // Every fourth transaction rolls back after taking its numbers.
          await client.query(i % 4 === 3 ? 'ROLLBACK' : 'COMMIT');
          return i % 4 === 3 ? 0 : 2;
        } finally {
          client.release();
        }
      }),
    );
    const expected = outcomes.reduce<number>((a, b) => a + b, 0);
    await capture.until(() => byAggregate(id).length >= expected, 60_000, `${expected} events`);
    expect(byAggregate(id).map(seqOf)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
  });

  it('ignores a second emit with the same idempotency key and returns the first event id', async () => {
    const id = randomUUID();
    const key = `confirm-${id}`;
    const emit = () =>
      withTx(pool, (tx) =>
        emitter.emit(tx, {
          type: 'booking.created',
          aggregateId: id,
          payload: booking(id),
          idempotencyKey: key,
        }),
      );
    const first = await emit();
    const second = await emit();
    expect(second).toMatchObject({ duplicate: true, eventId: first.eventId, sequence: 0 });
    await withTx(pool, (tx) =>
      emitter.emit(tx, {
        type: 'booking.confirmed',
        aggregateId: id,
        payload: { ...samples['booking.confirmed'], bookingId: id },
      }),
    );
    await capture.until(() => byAggregate(id).length === 2);
    expect(byAggregate(id).map((m) => m.headers[envelopeHeaders.eventType])).toEqual([
      'booking.created',
      'booking.confirmed',
    ]);
    expect(byAggregate(id).map(seqOf)).toEqual([1, 2]);
  });

  it('keeps the outbox table empty: rows are deleted in the emitting transaction', async () => {
    const id = randomUUID();
    await withTx(pool, (tx) =>
      emitter.emit(tx, { type: 'booking.created', aggregateId: id, payload: booking(id) }),
    );
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM outbox WHERE aggregate_id = $1', [id]);
    expect(rows[0].n).toBe(0);
    await capture.until(() => byAggregate(id).length === 1);
    // retainRows keeps them (the fault suite's record of what committed).
    const kept = randomUUID();
    const retaining = createEmitter({ schemaIds, retainRows: true });
    await withTx(pool, (tx) =>
      retaining.emit(tx, { type: 'booking.created', aggregateId: kept, payload: booking(kept) }),
    );
    const after = await pool.query('SELECT sequence FROM outbox WHERE aggregate_id = $1', [kept]);
    expect(after.rows).toEqual([{ sequence: '1' }]);
    await pool.query('DELETE FROM outbox WHERE aggregate_id = $1', [kept]);
  });
});
