import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Component, loadConfig } from '../../core/config.ts';
import { createKafka, deadLetterTopic, type KafkaProducer } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { createSchemaIds } from '../../producers/index.ts';
import { samples } from '../../schemas/index.ts';
import { metricNames } from '../framework/index.ts';
import {
  type GroupProcess,
  produceEvents,
  startGroupProcess,
  type TestEvent,
} from '../runtime/test-fixtures/group-process.ts';
import {
  crashPostgres,
  privateStackConfig,
  privateStackDown,
  privateStackUp,
  startPostgres,
} from '../runtime/test-fixtures/private-stack.ts';
import { type SmtpProbe, startSmtpProbe } from './test-fixtures/smtp-probe.ts';

// Issue 12: "a PostgreSQL restart under load sent 3 emails twice". The group runs as a process
// on a private PostgreSQL and Kafka; its mail goes to an SMTP server in this test that counts
// every message it receives and injects each fault at the worst moment: after it received an
// email, before it answered 250.
const suite = loadConfig(process.env);
const config = privateStackConfig(suite);
const run = randomUUID().slice(0, 8);
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `test-n-outage-${run}` });
const schemaIds = createSchemaIds(createSchemaRegistry({ url: suite.registry.url }));
const sequences = new Map<string, number>();
const received = new Map<string, number>();
let fault: ((recipients: readonly string[]) => Promise<void>) | undefined;
let smtp: SmtpProbe;
let producer: KafkaProducer;
let db: pg.Pool;
let group: GroupProcess;

const startGroup = () => startGroupProcess('notifications', config, run, { SMTP_URL: smtp.url });

// Stopped afterwards, only what this file started (a private stack someone keeps up is left up).
let startedHere: Component[] = [];

beforeAll(async () => {
  startedHere = await privateStackUp(suite, config);
  smtp = await startSmtpProbe({ beforeAccept: (to) => fault?.(to) ?? Promise.resolve() }, received);
  producer = kafka.producer();
  db = new pg.Pool({ connectionString: config.database.url, max: 2 });
  db.on('error', () => {});
  group = await startGroup();
}, 300_000);

afterAll(async () => {
  await group?.stop();
  await smtp?.close();
  await producer?.close();
  await db?.end();
  await privateStackDown(config, startedHere);
});

/** Booking confirmations, each to its own guest and address (`<tag><i>-<run>@example.test`). */
function confirmations(tag: string, count: number): TestEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const bookingId = randomUUID();
    const guest = { name: `Guest ${i}`, email: `${tag}${i}-${run}@example.test` };
    return {
      type: 'booking.confirmed',
      aggregateId: bookingId,
      payload: { ...samples['booking.confirmed'], bookingId, guestId: randomUUID(), guest },
    };
  });
}

/** Produces the events a few at a time (~60/s), so that the group is busy when a fault hits. */
async function load(events: readonly TestEvent[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < events.length; i += 3) {
    ids.push(...(await produceEvents(producer, schemaIds, events.slice(i, i + 3), sequences)));
    await new Promise((r) => setTimeout(r, 50));
  }
  return ids;
}

/** Emails received per address of this test's `tag`. */
const receivedFor = (tag: string) => [...received].filter(([a]) => a.startsWith(tag));

/** Fires `action` once, when the email to `address` has been received and not yet acknowledged. */
function once(address: string, action: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    fault = async (to) => {
      if (!to.includes(address)) return;
      fault = undefined;
      await action();
      resolve();
    };
  });
}

async function settled(ids: readonly string[]): Promise<void> {
  await waitFor(
    async () => {
      const { rows } = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM notification_emails WHERE source_event_id = ANY($1::uuid[]) AND status = 'sent'`,
        [ids],
      );
      return Number(rows[0]!.n) === ids.length;
    },
    { timeoutMs: 180_000, what: `${ids.length} emails marked sent` },
  );
}

async function inboxRows(ids: readonly string[]): Promise<{ rows: number; events: number }> {
  const { rows } = await db.query<{ rows: string; events: string }>(
    `SELECT count(*) AS rows, count(DISTINCT source_event_id) AS events FROM notifications
     WHERE source_event_id = ANY($1::uuid[])`,
    [ids],
  );
  return { rows: Number(rows[0]!.rows), events: Number(rows[0]!.events) };
}

async function noDeadLetters(): Promise<void> {
  expect(await group.metric(metricNames.deadLettered)).toBe(0);
  const dlq = deadLetterTopic('events.booking', `notifications.${run}`);
  expect(await kafka.withAdmin(async (a) => (await a.describeTopics([dlq])).length)).toBe(0);
}

describe('notifications under faults (private stack)', () => {
  it('PostgreSQL crashes right after the SMTP server accepted an email, down 15 s, under load: no email twice, one inbox row each, 0 dead letters', async () => {
    const events = confirmations('pg', 300);
    const trigger = events[100]!.payload as { guest: { email: string } };
    let restarted: Promise<void> | undefined;
    const crashed = once(trigger.guest.email, async () => {
      await crashPostgres(config);
      restarted = new Promise((r) => setTimeout(r, 15_000)).then(() => startPostgres(config));
    });
    const ids = await load(events);
    await crashed;
    await restarted;
    await settled(ids);
    const mail = receivedFor('pg');
    expect(mail).toHaveLength(ids.length);
    expect(mail.filter(([, n]) => n > 1)).toEqual([]);
    expect(await inboxRows(ids)).toEqual({ rows: ids.length, events: ids.length });
    await noDeadLetters();
    expect(await group.metric('outstream_notifications_emails_in_doubt_total')).toBe(0);
    expect(group.alive()).toBe(true);
    expect(group.lines.some((l) => l.includes('postgres unavailable: waiting it out'))).toBe(true);
  }, 400_000);

  it('the SMTP server goes away for 10 s under load: waited out as an outage, each email once, 0 dead letters', async () => {
    const events = confirmations('smtp', 300);
    const producing = load(events);
    await waitFor(() => receivedFor('smtp').length >= 50, { timeoutMs: 60_000, what: 'emails arriving' });
    await smtp.close();
    const degraded = await waitFor(
      async () => {
        const h = await group.health();
        return h.status === 'degraded' && h.consumers[0]?.degraded?.includes('smtp unavailable')
          ? h
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: '/health to say the SMTP server is unavailable' },
    );
    expect(degraded.code).toBe(200);
    await new Promise((r) => setTimeout(r, 10_000));
    smtp = await startSmtpProbe(
      { port: smtp.port, beforeAccept: (to) => fault?.(to) ?? Promise.resolve() },
      received,
    );
    const ids = await producing;
    await settled(ids);
    const mail = receivedFor('smtp');
    expect(mail).toHaveLength(ids.length);
    expect(mail.filter(([, n]) => n > 1)).toEqual([]);
    await noDeadLetters();
    expect(group.alive()).toBe(true);
  }, 400_000);

  it('a SIGKILL right after the SMTP server accepted an email (the window left): that email is sent again, reported in doubt; no other twice', async () => {
    const events = confirmations('kill', 300);
    const trigger = (events[100]!.payload as { guest: { email: string } }).guest.email;
    let window = '';
    const killed = once(trigger, async () => {
      window = await markWindow(group);
      group.child.kill('SIGKILL');
    });
    const producing = load(events);
    await killed;
    await waitFor(() => !group.alive(), { timeoutMs: 10_000, what: 'the group to die' });
    group = await startGroup();
    const ids = await producing;
    await settled(ids);
    const mail = new Map(receivedFor('kill'));
    const twice = [...mail].filter(([, n]) => n > 1).map(([a]) => a);
    const inDoubt = await group.metric('outstream_notifications_emails_in_doubt_total');
    expect(mail.size).toBe(ids.length);
    expect(await inboxRows(ids)).toEqual({ rows: ids.length, events: ids.length });
    // The email accepted as the process died is the duplicate this design cannot avoid; the
    // restarted group knew it might be one. Nothing else went twice unnoticed.
    expect(twice).toContain(trigger);
    expect(twice.length).toBeLessThanOrEqual(inDoubt);
    console.log(
      `SIGKILL inside the window: ${twice.length} of ${ids.length} emails received twice, ${inDoubt} resent in doubt; ` +
        `SMTP acceptance → 'sent' mark committed, as the group measured it before the kill (a PostgreSQL ` +
        `outage included): ${window}; after the restart: ${await markWindow(group)}`,
    );
  }, 400_000);
});

/** The acceptance-to-mark window as the group measured it: count, and the share within 5 / 10 / 25 ms. */
async function markWindow(g: GroupProcess): Promise<string> {
  const name = 'outstream_notifications_email_mark_seconds';
  const count = await g.metric(`${name}_count`);
  const sum = await g.metric(`${name}_sum`);
  const le = (bound: string) => g.metric(`${name}_bucket`, `le="${bound}"`);
  const [a, b, c] = await Promise.all([le('0.005'), le('0.01'), le('0.025')]);
  const pct = (n: number) => `${((100 * n) / Math.max(1, count)).toFixed(1)} %`;
  return `${count} emails, mean ${((1000 * sum) / Math.max(1, count)).toFixed(1)} ms, ≤5 ms ${pct(a)}, ≤10 ms ${pct(b)}, ≤25 ms ${pct(c)}`;
}
