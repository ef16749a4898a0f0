import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { createSmtpSinkClient } from '../../infra/stack/smtp-sink/client.ts';
import { type AnyEmitInput, createEmitter, createSchemaIds, type Emitted } from '../../producers/index.ts';
import { samples } from '../../schemas/index.ts';
import { type Capture, captureTopics } from '../../test/capture.ts';
import { withTx } from '../../test/db.ts';
import { findRecord, firstOffsets, rewindGroup, startTestGroup, type TestGroup } from '../../test/groups.ts';
import { deadLetterHeaders, metricNames } from '../framework/index.ts';
import { notifications } from './definition.ts';
import { listInbox, markRead } from './inbox.ts';
import { messageIdFor } from './mailer.ts';
import { setPreference } from './preferences.ts';

const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const emitter = createEmitter({
  schemaIds: createSchemaIds(createSchemaRegistry({ url: config.registry.url })),
});
const sink = createSmtpSinkClient(config.smtp.sinkUrl);
const run = randomUUID().slice(0, 8);
const hotelId = `n-${run}`;
const staffId = randomUUID();
let pool: pg.Pool;
let group: TestGroup;
let capture: Capture;

const emit = (...events: AnyEmitInput[]): Promise<Emitted[]> =>
  withTx(pool, (tx) => emitter.emitMany(tx, events));

function booking(address: string, type: 'booking.created' | 'booking.confirmed' = 'booking.confirmed') {
  const bookingId = randomUUID();
  const guestId = randomUUID();
  const guest = { name: 'Ada Lovelace', email: address };
  return {
    bookingId,
    guestId,
    event: {
      type,
      aggregateId: bookingId,
      payload: { ...samples[type], bookingId, guestId, hotelId, guest },
    } as AnyEmitInput,
  };
}

async function inbox(eventId: string) {
  const { rows } = await pool.query<{ recipient_id: string; kind: string; title: string }>(
    'SELECT recipient_id, kind, title FROM notifications WHERE source_event_id = $1 ORDER BY recipient_id',
    [eventId],
  );
  return rows;
}

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: config.database.url });
  group = await startTestGroup(notifications);
  capture = await captureTopics(kafka, ['events.notification']);
  // The hotel's staff: the group learns them from user.registered.
  const [registered] = await emit({
    type: 'user.registered',
    aggregateId: staffId,
    payload: {
      ...samples['user.registered'],
      userId: staffId,
      role: 'STAFF',
      hotelId,
      email: `staff-${run}@example.test`,
    },
  });
  await group.settled([registered!.eventId]);
});
afterAll(async () => {
  await capture?.stop();
  await group?.stop();
  await pool?.end();
});

describe('notifications group', () => {
  it('booking.confirmed: one inbox row, notification.created through the outbox, and an email at the SMTP server', async () => {
    const address = `ada-${run}@example.test`;
    const b = booking(address);
    const [e] = await emit(b.event);
    await group.settled([e!.eventId]);
    expect(await inbox(e!.eventId)).toEqual([
      { recipient_id: b.guestId, kind: 'BOOKING_CONFIRMED', title: 'Booking BK-2025-00042 confirmed' },
    ]);
    await capture.until((ms) => ms.some((m) => m.key === b.guestId), 60_000, 'notification.created');
    const created = capture.messages.filter((m) => m.key === b.guestId);
    expect(created).toHaveLength(1);
    expect(created[0]!.headers['event-type']).toBe('notification.created');
    const messageId = messageIdFor(e!.eventId, b.guestId, 'notifications.outstream.test');
    const mails = await waitFor(
      async () => {
        const m = await sink.messages({ to: address });
        return m.length > 0 ? m : undefined;
      },
      { timeoutMs: 30_000, what: 'the email' },
    );
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ messageId, subject: 'Your booking BK-2025-00042 is confirmed' });
    expect(mails[0]!.text).toContain('Arrival:   2025-07-01');
    expect(mails[0]!.headers['x-outstream-event-id']).toBe(e!.eventId);
    // The guest's inbox, as an app reads it, and marking it read.
    const [item] = await listInbox(pool, b.guestId, { unreadOnly: true });
    expect(item).toMatchObject({ kind: 'BOOKING_CONFIRMED', sourceEventId: e!.eventId, readAt: null });
    expect(await markRead(pool, b.guestId, [item!.id])).toBe(1);
    expect(await listInbox(pool, b.guestId, { unreadOnly: true })).toEqual([]);
  });

  it('booking.created notifies the hotel staff in-app only', async () => {
    const b = booking(`guest-${run}@example.test`, 'booking.created');
    const [e] = await emit(b.event);
    await group.settled([e!.eventId]);
    expect(await inbox(e!.eventId)).toEqual([
      { recipient_id: staffId, kind: 'BOOKING_CREATED', title: 'New booking BK-2025-00042' },
    ]);
    const { rows } = await pool.query('SELECT 1 FROM notification_emails WHERE source_event_id = $1', [
      e!.eventId,
    ]);
    expect(rows).toHaveLength(0);
  });

  it('an email opt-out suppresses the email but not the inbox row', async () => {
    const address = `optout-${run}@example.test`;
    const b = booking(address);
    await setPreference(pool, {
      userId: b.guestId,
      kind: 'BOOKING_CONFIRMED',
      medium: 'email',
      enabled: false,
    });
    const [e] = await emit(b.event);
    await group.settled([e!.eventId]);
    expect(await inbox(e!.eventId)).toHaveLength(1);
    expect(await sink.messages({ to: address })).toEqual([]);
    const { rows } = await pool.query('SELECT 1 FROM notification_emails WHERE source_event_id = $1', [
      e!.eventId,
    ]);
    expect(rows).toHaveLength(0);
  });

  it('retries a transient SMTP failure (451) and sends exactly one email', async () => {
    const address = `flaky-${run}@flaky.test`; // the sink defers each such address twice
    const b = booking(address);
    const [e] = await emit(b.event);
    await group.settled([e!.eventId]);
    expect(group.deadLettered.filter((d) => d.eventId === e!.eventId)).toEqual([]);
    expect(await sink.messages({ to: address })).toHaveLength(1);
    const { rows } = await pool.query<{ status: string; attempts: number }>(
      'SELECT status, attempts FROM notification_emails WHERE source_event_id = $1',
      [e!.eventId],
    );
    expect(rows).toEqual([{ status: 'sent', attempts: 3 }]);
    expect(await inbox(e!.eventId)).toHaveLength(1); // the retries inserted no second row
  });

  it('dead-letters a permanent SMTP rejection (550) with its reason; the inbox row stays', async () => {
    const b = booking(`nobody-${run}@reject.test`);
    const [e] = await emit(b.event);
    await group.settled([e!.eventId]);
    const dl = group.deadLettered.find((d) => d.eventId === e!.eventId);
    expect(dl).toMatchObject({
      reason: 'non-retriable',
      deadLetterTopic: `events.booking.dlq.${group.group}`,
    });
    const headers = await findRecord(kafka, dl!.deadLetterTopic, (h) => h['event-id'] === e!.eventId);
    expect(headers[deadLetterHeaders.errorClass]).toBe('EmailRejectedError');
    expect(headers[deadLetterHeaders.errorCode]).toBe('EMAIL_REJECTED');
    expect(headers[deadLetterHeaders.errorMessage]).toContain('550 5.1.1');
    expect(await inbox(e!.eventId)).toHaveLength(1);
  });

  it('dead-letters a rule whose recipient is missing, and the stream goes on', async () => {
    const other = `no-staff-${run}`;
    const missing = booking(`x-${run}@example.test`, 'booking.created');
    (missing.event.payload as { hotelId: string }).hotelId = other;
    const after = booking(`after-${run}@example.test`);
    const [m, a] = await emit(missing.event, after.event);
    await group.settled([m!.eventId, a!.eventId]);
    const dl = group.deadLettered.find((d) => d.eventId === m!.eventId);
    expect(String((dl?.error as Error)?.message)).toContain(`hotel ${other} has no known staff`);
    const headers = await findRecord(kafka, dl!.deadLetterTopic, (h) => h['event-id'] === m!.eventId);
    expect(headers[deadLetterHeaders.errorCode]).toBe('RECIPIENT_MISSING');
    expect(await inbox(a!.eventId)).toHaveLength(1);
  });

  it('skips and counts an event type it has no rule for', async () => {
    const id = randomUUID();
    const [e] = await emit({
      type: 'booking.checked_in',
      aggregateId: id,
      payload: { ...samples['booking.checked_in'], bookingId: id, hotelId },
    });
    await waitFor(() => group.unhandled.some((u) => u.key === id), { timeoutMs: 60_000, what: 'the skip' });
    expect(await inbox(e!.eventId)).toEqual([]);
    const metrics = await group.consumer.metrics.getSingleMetricAsString(metricNames.skipped);
    expect(metrics).toMatch(/event_type="booking.checked_in",reason="no-handler"/);
  });

  it('a replay (offsets reset) writes no second inbox row and sends no second email', async () => {
    const address = `replay-${run}@example.test`;
    const b = booking(address);
    const [e] = await emit(b.event);
    await group.settled([e!.eventId]);
    const record = group.processed.find((p) => p.eventId === e!.eventId)!;
    const rowsBefore = await inbox(e!.eventId);
    await group.stop();
    await rewindGroup(kafka, group.group, record.topic, firstOffsets([record]));
    const again = await startTestGroup(notifications, { group: group.group }); // resumes at the rewound offset
    group = again;
    await again.settled([e!.eventId]);
    expect(await inbox(e!.eventId)).toEqual(rowsBefore);
    expect(await sink.messages({ to: address })).toHaveLength(1);
    const duplicates = await again.consumer.metrics.getSingleMetricAsString(
      'outstream_notifications_inbox_duplicates_total',
    );
    expect(duplicates).toMatch(/kind="BOOKING_CONFIRMED"} [1-9]/);
  });
});
