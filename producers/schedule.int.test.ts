import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeHeaders } from '../connect/outbox-connector.ts';
import { loadConfig } from '../core/config.ts';
import { ErrorCode, type InvalidEventError, isOutstreamError } from '../core/errors.ts';
import { createKafka } from '../core/kafka/index.ts';
import { createSchemaRegistry } from '../core/schema-registry.ts';
import { waitFor } from '../core/wait.ts';
import { type BookingReminderDue, decodePayload, samples, unframe } from '../schemas/index.ts';
import { type Capture, type CapturedMessage, captureTopics } from '../test/capture.ts';
import { withTx } from '../test/db.ts';
import { startTestDispatcher } from '../test/dispatcher.ts';
import { createEmitter, createScheduler, createSchemaIds, type Dispatcher, maxEventBytes } from './index.ts';

// Scheduled events on the real stack: schedule() in a service transaction, a dispatcher
// publishing them through the outbox, Debezium, Kafka; read back with the Kafka port's reader.
const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const schemaIds = createSchemaIds(createSchemaRegistry({ url: config.registry.url }));
const emitter = createEmitter({ schemaIds });
const { schedule, scheduleMany, cancelScheduled } = createScheduler({ schemaIds });
let pool: pg.Pool;
let capture: Capture;
let dispatcher: Dispatcher;

const reminder = (bookingId: string, note = 'r'): BookingReminderDue => ({
  ...samples['booking.reminder_due'],
  bookingId,
  reference: note,
});
const event = (bookingId: string, note?: string) => ({
  type: 'booking.reminder_due' as const,
  aggregateId: bookingId,
  payload: reminder(bookingId, note),
});
const withId = (id: string) => (m: CapturedMessage) => m.headers[envelopeHeaders.eventId] === id;
const published = (id: string) => capture.messages.filter(withId(id));
const arrived = (id: string, what = `event ${id} on events.booking`) =>
  capture.until((ms) => ms.some(withId(id)), 30_000, what);

/** Schedules an event due now and waits for it: everything the dispatcher saw before it is settled. */
async function sentinel(): Promise<void> {
  const s = await withTx(pool, (tx) => schedule(tx, event(randomUUID(), 'sentinel'), { in: 0 }));
  await arrived(s.eventId, 'a sentinel scheduled after it');
}

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url, max: 10 });
  capture = await captureTopics(kafka, ['events.booking']);
  dispatcher = await startTestDispatcher(pool, config.database.url);
});
afterAll(async () => {
  await dispatcher?.stop();
  await capture?.stop();
  await pool?.end();
});

describe('schedule()', () => {
  it('publishes at its time, typed and enveloped like emit(), with the sequence allocated on publication', async () => {
    const id = randomUUID();
    const first = await withTx(pool, (tx) => emitter.emit(tx, event(id, 'emitted first')));
    const s = await withTx(pool, (tx) =>
      schedule(
        tx,
        { ...event(id, 'scheduled'), actor: 'system:reminders' },
        { in: 1_500 },
        { key: `reminder:${id}` },
      ),
    );
    // Emitted after the schedule was written, before it fell due: it takes the next number.
    const second = await withTx(pool, (tx) => emitter.emit(tx, event(id, 'emitted second')));
    expect([first.sequence, second.sequence]).toEqual([1, 2]);
    expect(s).toMatchObject({ topic: 'events.booking', key: `reminder:${id}`, replaced: false });
    await arrived(s.eventId);
    const [m] = published(s.eventId);
    expect(m!.key).toBe(id);
    expect(m!.headers).toMatchObject({
      [envelopeHeaders.eventType]: 'booking.reminder_due',
      [envelopeHeaders.aggregateType]: 'booking',
      [envelopeHeaders.sequence]: '3',
      [envelopeHeaders.actor]: 'system:reminders',
    });
    // Published at (not before) its due time; occurred-at is the publication.
    const occurredAt = Date.parse(m!.headers[envelopeHeaders.occurredAt]!);
    expect(occurredAt).toBeGreaterThanOrEqual(s.dueAt.getTime());
    const { body } = unframe(m!.value!);
    expect(decodePayload('booking.reminder_due', body)).toEqual(reminder(id, 'scheduled'));
  });

  it('fires a time in the past at once', async () => {
    const id = randomUUID();
    const started = Date.now();
    const s = await withTx(pool, (tx) => schedule(tx, event(id), { at: new Date(Date.now() - 3_600_000) }));
    await arrived(s.eventId);
    // Woken by the notification, not by the 30 s re-check.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(published(s.eventId)).toHaveLength(1);
  });

  it('never fires a schedule whose transaction rolled back', async () => {
    const id = randomUUID();
    let eventId = '';
    await expect(
      withTx(pool, async (tx) => {
        eventId = (await schedule(tx, event(id), { in: 0 })).eventId;
        throw new Error('the service changed its mind');
      }),
    ).rejects.toThrow('changed its mind');
    await sentinel();
    expect(published(eventId)).toEqual([]);
    expect(capture.messages.filter((m) => m.key === id)).toEqual([]);
  });

  it('cancels by key before it is due; after it was published there is nothing to cancel', async () => {
    const id = randomUUID();
    const key = `reminder:${id}`;
    const s = await withTx(pool, (tx) => schedule(tx, event(id), { in: 1_000 }, { key }));
    expect(await withTx(pool, (tx) => cancelScheduled(tx, key))).toBe(true);
    expect(await withTx(pool, (tx) => cancelScheduled(tx, key))).toBe(false);
    await waitFor(() => Date.now() > s.dueAt.getTime() + 500, { timeoutMs: 5_000, what: 'the due time' });
    await sentinel();
    expect(published(s.eventId)).toEqual([]);

    const fired = await withTx(pool, (tx) => schedule(tx, event(id), { in: 0 }, { key }));
    await arrived(fired.eventId);
    expect(await withTx(pool, (tx) => cancelScheduled(tx, key))).toBe(false);
    expect(published(fired.eventId)).toHaveLength(1);
  });

  it('reschedules by key: before due the new one replaces the old; after due it is a new schedule', async () => {
    const id = randomUUID();
    const key = `reminder:${id}`;
    const old = await withTx(pool, (tx) => schedule(tx, event(id, 'old'), { in: 60_000 }, { key }));
    const moved = await withTx(pool, (tx) => schedule(tx, event(id, 'moved'), { in: 300 }, { key }));
    expect(moved.replaced).toBe(true);
    await arrived(moved.eventId);
    const again = await withTx(pool, (tx) => schedule(tx, event(id, 'again'), { in: 0 }, { key }));
    expect(again.replaced).toBe(false);
    await arrived(again.eventId);
    await sentinel();
    const mine = capture.messages.filter((m) => m.key === id);
    expect(mine.map((m) => m.headers[envelopeHeaders.eventId])).toEqual([moved.eventId, again.eventId]);
    expect(mine.map((m) => m.headers[envelopeHeaders.sequence])).toEqual(['1', '2']);
    expect(published(old.eventId)).toEqual([]);
  });

  it('scheduleMany() writes every item in the transaction: each published at its time, a pending key replaced', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const pending = await withTx(pool, (tx) =>
      schedule(tx, event(a, 'to be replaced'), { in: 60_000 }, { key: `reminder:${a}` }),
    );
    const many = await withTx(pool, (tx) =>
      scheduleMany(tx, [
        { event: event(a, 'a moved'), when: { in: 800 }, key: `reminder:${a}` },
        { event: event(b, 'b first'), when: { in: 300 } },
        { event: event(b, 'b second'), when: { at: new Date(Date.now() + 1_200) }, key: `reminder:${b}` },
      ]),
    );
    expect(many.map((s) => [s.aggregateId, s.key, s.replaced])).toEqual([
      [a, `reminder:${a}`, true],
      [b, null, false],
      [b, `reminder:${b}`, false],
    ]);
    for (const s of many) await arrived(s.eventId);
    await sentinel();
    for (const s of many) {
      const [m] = published(s.eventId);
      expect(published(s.eventId)).toHaveLength(1);
      expect(Date.parse(m!.headers[envelopeHeaders.occurredAt]!)).toBeGreaterThanOrEqual(s.dueAt.getTime());
    }
    expect(published(pending.eventId)).toEqual([]);
    const notes = (id: string) =>
      capture.messages
        .filter((m) => m.key === id)
        .map((m) => decodePayload('booking.reminder_due', unframe(m.value!).body).reference);
    expect(notes(a)).toEqual(['a moved']);
    // b's events in due order, numbered as published.
    expect(notes(b)).toEqual(['b first', 'b second']);
  });

  it('scheduleMany() with one bad item, a repeated key or a rollback writes nothing', async () => {
    const id = randomUUID();
    const good = { event: event(id), when: { in: 0 }, key: `reminder:${id}` };
    const refused = async (items: Parameters<typeof scheduleMany>[1]) => {
      const err = await withTx(pool, (tx) => scheduleMany(tx, items)).catch((e: unknown) => e);
      expect(isOutstreamError(err, ErrorCode.invalidEvent)).toBe(true);
      return (err as InvalidEventError).issues.map((i) => i.path);
    };
    expect(await refused([good, { event: event(id), when: { in: -1 } }])).toEqual(['[1].when.in']);
    expect(await refused([good, { event: event(randomUUID()), when: { in: 0 }, key: good.key }])).toEqual([
      '[1].key',
    ]);
    await expect(
      withTx(pool, async (tx) => {
        await scheduleMany(tx, [good, { event: event(id), when: { in: 0 } }]);
        throw new Error('the service changed its mind');
      }),
    ).rejects.toThrow('changed its mind');
    const { rows } = await pool.query('SELECT 1 FROM scheduled_events WHERE aggregate_id = $1', [id]);
    expect(rows).toEqual([]);
    await sentinel();
    expect(capture.messages.filter((m) => m.key === id)).toEqual([]);
  });

  it('refuses bad input with one typed error naming every field, and writes nothing', async () => {
    const id = randomUUID();
    const issues = async (work: (tx: pg.PoolClient) => Promise<unknown>) => {
      const err = await withTx(pool, work).catch((e: unknown) => e);
      expect(isOutstreamError(err, ErrorCode.invalidEvent)).toBe(true);
      return (err as InvalidEventError).issues.map((i) => i.path);
    };
    expect(
      await issues((tx) =>
        schedule(
          tx,
          { ...event(id), payload: { ...reminder(id), remindAt: 'soon' as never } },
          {
            in: Number.NaN,
          },
        ),
      ),
    ).toEqual(['when.in', 'payload.remindAt']);
    expect(await issues((tx) => schedule(tx, event(id), { at: new Date('2026-13-45') }))).toEqual([
      'when.at',
    ]);
    expect(await issues((tx) => schedule(tx, event(id), { in: -1 }, { key: 'k'.repeat(256) }))).toEqual([
      'when.in',
      'options.key',
    ]);
    const huge = { ...event(id), payload: { ...reminder(id), reference: 'x'.repeat(maxEventBytes) } };
    expect(await issues((tx) => schedule(tx, huge, { in: 0 }))).toEqual(['payload']);
    const badCancel = await withTx(pool, (tx) => cancelScheduled(tx, '')).catch((e: unknown) => e);
    expect(isOutstreamError(badCancel, ErrorCode.invalidArgument)).toBe(true);
    // Outside a transaction: refused, as emit() refuses it.
    await expect(schedule(pool as never, event(id), { in: 0 })).rejects.toThrow(/not a pool/);
    const { rows } = await pool.query('SELECT 1 FROM scheduled_events WHERE aggregate_id = $1', [id]);
    expect(rows).toEqual([]);
  });

  it('the database refuses an oversized row from any other writer too (the outbox limit)', async () => {
    const err = await pool
      .query(
        `INSERT INTO scheduled_events (event_id, due_at, aggregate_type, aggregate_id, event_type, payload)
         VALUES ($1, now(), 'booking', 'b', 'booking.reminder_due', $2)`,
        [randomUUID(), Buffer.alloc(maxEventBytes)],
      )
      .catch((e: unknown) => e);
    expect((err as { constraint?: string }).constraint).toBe('scheduled_events_size');
  });

  it('an event claimed by a dispatcher that dies before its commit is published by another', async () => {
    const id = randomUUID();
    const s = await withTx(pool, (tx) => schedule(tx, event(id), { in: 1_500 }));
    // A dispatcher's claim (the same locking read), then a crash before its commit.
    const crashed = new pg.Client({ connectionString: config.database.url });
    crashed.on('error', () => {});
    await crashed.connect();
    await crashed.query('BEGIN');
    const claimed = await crashed.query(
      'SELECT event_id FROM scheduled_events WHERE event_id = $1 FOR UPDATE SKIP LOCKED',
      [s.eventId],
    );
    expect(claimed.rowCount).toBe(1);
    const { rows } = await crashed.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    // Due, but held: the running dispatcher skips it.
    await waitFor(() => Date.now() > s.dueAt.getTime() + 1_000, {
      timeoutMs: 10_000,
      what: 'a second past due',
    });
    await sentinel();
    expect(published(s.eventId)).toEqual([]);
    await pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    // The crash rolled the claim back: nothing lost, and the survivor publishes it once.
    await arrived(s.eventId);
    await sentinel();
    expect(published(s.eventId)).toHaveLength(1);
  });
});
