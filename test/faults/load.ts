// The fault suite's load generator, run as a child process (`fork`) so that emitting never
// shares an event loop with the checks: emit() at a fixed rate, one event per transaction,
// rows retained in the outbox (the suite's record of what committed). A transaction that
// fails (the database restarting) is counted and its slot skipped; nothing is retried, as a
// request that failed would not be. Driven over IPC (see LoadCommand / LoadMessage).
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { loadConfig } from '../../core/config.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { createEmitter, createSchemaIds } from '../../producers/index.ts';
import { createTraffic, type TrafficPlan } from './traffic.ts';

/** What the parent passes as argv[2] (JSON). */
export interface LoadPlan extends TrafficPlan {
  /** Events (= transactions) per second. */
  rate: number;
  /** Written as every event's actor: the outbox rows of this run are found by it. */
  actor: string;
}

/** Commands the parent sends. */
export type LoadCommand = 'go' | 'pause' | 'stop';

/** One committed event: [event id, event type, aggregate id, hotel id, commit time ms]. */
export type LoadCommit = [string, string, string, string, number];

/** Messages to the parent. */
export type LoadMessage =
  | { ready: true }
  | { commits: LoadCommit[]; failures: number; lastError?: string }
  | { paused: true; committed: number; failed: number };

const now = () => performance.timeOrigin + performance.now();

async function main() {
  const plan = JSON.parse(process.argv[2]!) as LoadPlan;
  const config = loadConfig(process.env);
  const pool = new pg.Pool({ connectionString: config.database.url, max: 8 });
  // A restarting database kills connections, idle or checked out: an 'error' event nobody
  // listens to would end this process (the failed query itself is counted below).
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const schemaIds = createSchemaIds(createSchemaRegistry({ url: config.registry.url }));
  const { emit } = createEmitter({ schemaIds, retainRows: true });
  const traffic = createTraffic(plan);
  const send = (m: LoadMessage) => process.send!(m);
  let commits: LoadCommit[] = [];
  let failures = 0;
  let lastError: string | undefined;
  let committed = 0;
  let failed = 0;
  const flush = () => {
    if (commits.length > 0 || failures > 0) send({ commits, failures, ...(lastError ? { lastError } : {}) });
    commits = [];
    failures = 0;
    lastError = undefined;
  };
  setInterval(flush, 50).unref();

  const tx = async () => {
    const planned = traffic.next();
    planned.event.actor = plan.actor;
    let client: pg.PoolClient | undefined;
    let broken = false;
    try {
      client = await pool.connect();
      await client.query('BEGIN');
      const emitted = await emit(client, planned.event);
      await client.query('COMMIT');
      planned.committed();
      committed++;
      commits.push([emitted.eventId, planned.event.type, planned.event.aggregateId, planned.hotelId, now()]);
    } catch (e) {
      // A COMMIT cut off by a restart may still have committed: the outbox says, not us.
      planned.failed();
      failed++;
      failures++;
      lastError = (e as Error).message;
      broken = true;
      await client?.query('ROLLBACK').catch(() => {});
    } finally {
      // A connection that failed is dropped, not handed to the next transaction.
      client?.release(broken);
    }
  };

  for (const t of [
    'booking.created',
    'booking.confirmed',
    'booking.checked_in',
    'booking.checked_out',
  ] as const)
    await schemaIds.idFor(t);
  await schemaIds.idFor('room.status_changed');
  send({ ready: true });

  // An object, not a `let`: the message handler changes it between turns of the loop below.
  const run: { state: 'paused' | 'running' | 'stopping' } = { state: 'paused' };
  const inflight = new Set<Promise<void>>();
  const drained = async () => {
    await Promise.all(inflight);
    flush();
    send({ paused: true, committed, failed });
  };
  process.on('message', (m: LoadCommand) => {
    if (m === 'go') run.state = 'running';
    else {
      run.state = m === 'stop' ? 'stopping' : 'paused';
      drained().then(() => {
        if (m === 'stop') pool.end().finally(() => process.exit(0));
      });
    }
  });
  // Exit with the parent: an orphaned load would write into a stack nobody checks.
  process.on('disconnect', () => process.exit(0));

  // A fixed schedule: event k is due at start + k / rate. After a stall (every connection
  // waiting on a restarting database) the missed slots are dropped, not sent as a burst.
  let started = now();
  let due = 0;
  for (;;) {
    if (run.state !== 'running') {
      await sleep(20);
      started = now();
      due = 0;
      continue;
    }
    const shouldHave = Math.floor(((now() - started) / 1000) * plan.rate);
    if (shouldHave - due > plan.rate) due = shouldHave - 1;
    while (due < shouldHave && inflight.size < 8) {
      const p = tx().finally(() => inflight.delete(p));
      inflight.add(p);
      due++;
    }
    await sleep(inflight.size < 8 ? 2 : 10);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
