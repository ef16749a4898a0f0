/**
 * A consumer process for the debounce crash test (`debounce.int.test.ts`), started with
 * `node debounce-consumer.ts` and killed with SIGKILL mid-window. `room.status_changed` is
 * debounced (`DEBOUNCE_QUIET_MS`, `DEBOUNCE_MAX_WAIT_MS`); each run of the test's aggregates is
 * recorded in `consumer_test_debounce_runs`. Prints `ready` once it has joined the group, then
 * `held <n>` whenever the number of events held in open windows changes.
 */
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../../../core/config.ts';
import { createKafka } from '../../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../../core/schema-registry.ts';
import { defineConsumer } from '../define-consumer.ts';
import { skip } from '../handler.ts';

const group = process.env.DEBOUNCE_GROUP;
const run = process.env.DEBOUNCE_RUN;
if (!group || !run) throw new Error('DEBOUNCE_GROUP and DEBOUNCE_RUN must be set');
const quietMs = Number(process.env.DEBOUNCE_QUIET_MS ?? 2_000);
const maxWaitMs = Number(process.env.DEBOUNCE_MAX_WAIT_MS ?? 30_000);

const config = loadConfig(process.env);
const pool = new pg.Pool({ connectionString: config.database.url, max: 2 });

const consumer = defineConsumer({
  group,
  kafka: createKafka(config.kafka),
  registry: createSchemaRegistry({ url: config.registry.url }),
  logger: pino({ level: 'warn' }),
  protocol: 'classic',
  sessionTimeoutMs: 6_000,
  rebalanceTimeoutMs: 10_000,
  heartbeatIntervalMs: 500,
  drainTimeoutMs: 5_000,
  handlers: {
    'room.status_changed': {
      debounce: { quietMs, maxWaitMs },
      handle: async (e, { coalesced }) => {
        if (!e.aggregateId.startsWith(run)) return skip('another run');
        await pool.query(
          `INSERT INTO consumer_test_debounce_runs (run, aggregate_id, count, first_sequence, last_sequence, pid)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [run, e.aggregateId, coalesced.count, coalesced.firstSequence, e.sequence, process.pid],
        );
      },
    },
  },
});
await consumer.start();
process.stdout.write('ready\n');
let held = 0;
setInterval(() => {
  const now = consumer.status().held;
  if (now !== held) process.stdout.write(`held ${now}\n`);
  held = now;
}, 50);
