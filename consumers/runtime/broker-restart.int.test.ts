import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Component, loadConfig } from '../../core/config.ts';
import { createKafka, type KafkaProducer } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { kafka as kafkaComponent } from '../../infra/stack/components/kafka.ts';
import { stackUp } from '../../infra/stack/stack.ts';
import { createSchemaIds } from '../../producers/index.ts';
import { samples } from '../../schemas/index.ts';
import { metricNames } from '../framework/index.ts';
import {
  type GroupProcess,
  produceEvents,
  startGroupProcess,
  type TestEvent,
} from './test-fixtures/group-process.ts';
import {
  privateStackConfig,
  privateStackDown,
  privateStackUp,
  restartKafka,
} from './test-fixtures/private-stack.ts';

// Issue 12: "after a Kafka broker restart the notifications group hung, silently". The group
// runs as a process on a private stack whose broker is SIGKILLed and restarted three times
// under load; every event must reach the inbox, and /health must never have lied.
const suite = loadConfig(process.env);
const config = privateStackConfig(suite);
const run = randomUUID().slice(0, 8);
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `test-broker-restart-${run}` });
const schemaIds = createSchemaIds(createSchemaRegistry({ url: suite.registry.url }));
const sequences = new Map<string, number>();
const hotelId = `restart-${run}`;
let producer: KafkaProducer;
let db: pg.Pool;
let group: GroupProcess;

// Stopped afterwards, only what this file started (a private stack someone keeps up is left up).
let startedHere: Component[] = [];

beforeAll(async () => {
  startedHere = await privateStackUp(suite, config);
  producer = kafka.producer();
  db = new pg.Pool({ connectionString: config.database.url, max: 2 });
  group = await startGroupProcess('notifications', config, run);
  // The hotel's staff, whom every booking.created notifies (in-app).
  const staffId = randomUUID();
  const payload = {
    ...samples['user.registered'],
    userId: staffId,
    role: 'STAFF' as const,
    hotelId,
    email: `staff-${run}@example.test`,
  };
  await produceEvents(
    producer,
    schemaIds,
    [{ type: 'user.registered', aggregateId: staffId, payload }],
    sequences,
  );
  await waitFor(
    async () =>
      (await db.query('SELECT 1 FROM notification_users WHERE hotel_id = $1', [hotelId])).rowCount === 1,
    { timeoutMs: 60_000, what: 'the staff member in the directory' },
  );
}, 300_000);

afterAll(async () => {
  await group?.stop();
  await producer?.close();
  await db?.end();
  await privateStackDown(config, startedHere);
});

describe('notifications under broker restarts (private stack)', () => {
  it('the broker is SIGKILLed and restarted three times under load: every event reaches the inbox, the group never stalls or exits', async () => {
    const ids: string[] = [];
    let producing = true;
    const writer = (async () => {
      while (producing) {
        const batch: TestEvent[] = Array.from({ length: 5 }, () => {
          const bookingId = randomUUID();
          return {
            type: 'booking.created',
            aggregateId: bookingId,
            payload: { ...samples['booking.created'], bookingId, hotelId },
          };
        });
        ids.push(...(await produceEvents(producer, schemaIds, batch, sequences)));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const statuses = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const h = await group.health().catch(() => undefined);
        if (h) statuses.add(`${h.code} ${h.status}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      for (let round = 1; round <= 3; round++) {
        // Under load: ~300 more events written and the group busy with them when the broker dies.
        const target = ids.length + 300;
        await waitFor(() => ids.length >= target, {
          timeoutMs: 90_000,
          what: `round ${round}: 300 more events`,
        });
        await waitFor(async () => (await inboxCount()) >= target - 150, {
          timeoutMs: 90_000,
          what: `round ${round}: the group handling them`,
        });
        await restartKafka(config, 5_000);
      }
      producing = false;
      await writer;
      await waitFor(async () => (await inboxCount()) === ids.length, {
        timeoutMs: 120_000,
        what: `all ${ids.length} events in the inbox`,
      });
    } finally {
      producing = false;
      watching = false;
      await writer.catch(() => {});
      await watcher;
    }
    expect(await group.metric(metricNames.deadLettered)).toBe(0);
    expect(group.alive()).toBe(true);
    expect(statuses.has('503 unhealthy')).toBe(false);
    expect((await group.health()).status).toBe('ok');
    console.log(
      `${ids.length} events through three broker restarts; /health went through: ${[...statuses].join(', ')}`,
    );
  }, 400_000);

  it('a group started while the broker is down waits for it (no exit) and starts once it is back', async () => {
    const pid = kafkaComponent.runningPid(config);
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
    await waitFor(() => kafkaComponent.runningPid(config) === undefined, {
      timeoutMs: 10_000,
      what: 'the broker to die',
    });
    const lines: string[] = [];
    const starting = startGroupProcess('analytics', config, `late-${run}`, {}, lines);
    starting.catch(() => {});
    await waitFor(() => lines.some((l) => l.includes('cannot start yet')), {
      timeoutMs: 120_000,
      what: 'the group to fail to start, and say it tries again',
    });
    await stackUp(config);
    const late = await starting;
    try {
      await waitFor(async () => (await late.health()).status === 'ok', {
        timeoutMs: 60_000,
        what: 'the late group healthy',
      });
    } finally {
      await late.stop();
    }
  }, 300_000);
});

async function inboxCount(): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(DISTINCT n.source_event_id) AS n FROM notifications n
     JOIN notification_users u ON u.user_id = n.recipient_id WHERE u.hotel_id = $1 AND n.kind = 'BOOKING_CREATED'`,
    [hotelId],
  );
  return Number(rows[0]!.n);
}
