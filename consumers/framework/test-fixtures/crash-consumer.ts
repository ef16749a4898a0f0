/**
 * A consumer process for the crash test (`crash.int.test.ts`), started with
 * `node crash-consumer.ts` and killed with SIGKILL. Every delivery of an event of the run is
 * recorded in `consumer_test_deliveries`; its effect goes to `consumer_test_effects` through
 * `processOnce`, exactly once. Prints `ready` once it has joined the group (`start()` resolved: its partitions' positions are committed).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../../../core/config.ts';
import { createKafka } from '../../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../../core/schema-registry.ts';
import type { EventOf } from '../../../schemas/index.ts';
import { defineConsumer } from '../define-consumer.ts';
import { skip } from '../handler.ts';
import { processOnce } from '../idempotency.ts';

const group = process.env.CRASH_GROUP;
const run = process.env.CRASH_RUN;
if (!group || !run) throw new Error('CRASH_GROUP and CRASH_RUN must be set');

const config = loadConfig(process.env);
const pool = new pg.Pool({ connectionString: config.database.url, max: 8 });

async function handle(e: EventOf<'booking.created'> | EventOf<'booking.confirmed'>) {
  if (!e.aggregateId.startsWith(run!)) return skip('another run');
  await sleep(3);
  await pool.query(
    'INSERT INTO consumer_test_deliveries (run, event_id, aggregate_id, sequence, pid) VALUES ($1, $2, $3, $4, $5)',
    [run, e.id, e.aggregateId, e.sequence, process.pid],
  );
  await processOnce(pool, group!, e.id, (tx) =>
    tx.query('INSERT INTO consumer_test_effects (run, event_id) VALUES ($1, $2)', [run, e.id]),
  );
}

const consumer = defineConsumer({
  group,
  kafka: createKafka(config.kafka),
  registry: createSchemaRegistry({ url: config.registry.url }),
  logger: pino({ level: 'warn' }),
  inFlight: 8,
  protocol: 'classic',
  sessionTimeoutMs: 6_000,
  rebalanceTimeoutMs: 10_000,
  heartbeatIntervalMs: 500,
  drainTimeoutMs: 5_000,
  handlers: { 'booking.created': handle, 'booking.confirmed': handle },
});
await consumer.start();
process.stdout.write('ready\n');
