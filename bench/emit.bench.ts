// Emit throughput: emitMany and one emit per transaction, against the baseline of a plain
// INSERT of the same bytes into the same outbox table (what a hand-written outbox does).
// Usage: npm run bench:emit [-- --events 5000 --batch 100]
// Prints figures; asserts nothing. Needs the stack (npm start).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { parseCli } from '../core/cli.ts';
import { loadConfig } from '../core/config.ts';
import { createSchemaRegistry } from '../core/schema-registry.ts';
import { type AnyEmitInput, createEmitter, createSchemaIds } from '../producers/index.ts';
import { encodePayload, frame, samples } from '../schemas/index.ts';

const usage = `usage: npm run bench:emit [-- --events 5000 --batch 100]`;
const { values } = parseCli(
  {
    options: {
      events: { type: 'string', default: '5000' },
      batch: { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '4' },
    },
  },
  usage,
);
const total = Number(values.events);
const batch = Number(values.batch);
const concurrency = Number(values.concurrency);

const config = loadConfig(process.env);
const pool = new pg.Pool({ connectionString: config.database.url, max: concurrency });
const emitter = createEmitter({
  schemaIds: createSchemaIds(createSchemaRegistry({ url: config.registry.url })),
});
const aggregates = Array.from({ length: 64 }, () => randomUUID());

function event(i: number): AnyEmitInput {
  const id = aggregates[i % aggregates.length]!;
  return {
    type: 'booking.created',
    aggregateId: id,
    payload: { ...samples['booking.created'], bookingId: id },
  };
}

async function inTx(work: (c: pg.PoolClient) => Promise<unknown>) {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await work(c);
    await c.query('COMMIT');
  } finally {
    c.release();
  }
}

/** Runs `transactions` transactions over `concurrency` connections; returns events/s. */
async function measure(
  transactions: number,
  perTx: number,
  body: (c: pg.PoolClient, t: number) => Promise<unknown>,
) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let t = next++; t < transactions; t = next++) await inTx((c) => body(c, t));
    }),
  );
  return (transactions * perTx) / ((performance.now() - started) / 1000);
}

// The baseline writes the same framed bytes and envelope columns, with no validation,
// no encoding, no sequence allocation and no idempotency: one INSERT per event, deleted in
// the same transaction as emit() does. Its aggregate type `bench` routes to events.bench
// (created by Connect's topic creation), away from the real topics.
const framed = frame(1, encodePayload('booking.created', samples['booking.created']));
async function plainInsert(c: pg.PoolClient, n: number, seqBase: number) {
  for (let i = 0; i < n; i++) {
    await c.query(
      `INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, sequence, occurred_at, payload)
       VALUES ($1, 'bench', $2, 'bench.plain', $3, now(), $4)`,
      [randomUUID(), aggregates[i % aggregates.length], seqBase + i + 1, framed],
    );
  }
  await c.query(`DELETE FROM outbox WHERE aggregate_type = 'bench'`);
}

// Warm the schema id cache and the connections.
await inTx((c) => emitter.emit(c, event(0)));

const single = Math.min(total, 2000);
const results = {
  'plain INSERT, 1 event/tx': await measure(single, 1, (c, t) => plainInsert(c, 1, t)),
  'emit(), 1 event/tx': await measure(single, 1, (c, t) => emitter.emit(c, event(t) as never)),
  [`plain INSERT, ${batch} events/tx`]: await measure(total / batch, batch, (c, t) =>
    plainInsert(c, batch, t * batch),
  ),
  [`emitMany(), ${batch} events/tx`]: await measure(total / batch, batch, (c, t) =>
    emitter.emitMany(
      c,
      Array.from({ length: batch }, (_, i) => event(t * batch + i)),
    ),
  ),
};

console.log(`emit benchmark: ${total} events (${single} single), ${concurrency} connections, 64 aggregates`);
for (const [name, rate] of Object.entries(results))
  console.log(`  ${name.padEnd(30)} ${rate.toFixed(0).padStart(7)} events/s`);
const r1 = results['emit(), 1 event/tx'] / results['plain INSERT, 1 event/tx'];
const rN = results[`emitMany(), ${batch} events/tx`]! / results[`plain INSERT, ${batch} events/tx`]!;
console.log(`  ratio emit/plain, 1 event/tx:          ${r1.toFixed(2)}`);
console.log(`  ratio emitMany/plain, ${batch} events/tx:   ${rN.toFixed(2)}`);
await pool.end();
