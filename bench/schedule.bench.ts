// Scheduled events: how late is a due event? Events fall due at --rate per second; each one's
// publication (the occurred-at the dispatcher gives it) and its arrival at a Kafka reader are
// compared with its due time. Baseline, in the same run and at the same rate: emitMany() of
// the same events every 10 ms (the cadence of the dispatcher's claims), intended time → arrival:
// the pipeline's own latency, so the difference is what the dispatcher adds.
// Prints figures; asserts nothing. Needs the stack (npm run stack:up && npm run setup).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { envelopeHeaders } from '../connect/outbox-connector.ts';
import { parseCli } from '../core/cli.ts';
import { loadConfig } from '../core/config.ts';
import { createKafka } from '../core/kafka/index.ts';
import { createSchemaRegistry } from '../core/schema-registry.ts';
import { waitFor } from '../core/wait.ts';
import { type AnyEmitInput, createEmitter, createScheduler, createSchemaIds } from '../producers/index.ts';
import { samples } from '../schemas/index.ts';
import { withTx } from '../test/db.ts';
import { freePort } from '../test/ports.ts';

const usage = `usage: npm run bench:schedule [-- --rate 1000 --seconds 10] [--quick]
  Lateness of scheduled events at --rate due events per second for --seconds (--quick: 3 s),
  published by one dispatcher process (npm run dispatcher), beside a baseline of emitMany()
  at the same rate in the same run. p50/p99/max of: due → published (occurred-at), due → Kafka
  record timestamp, due → arrival at a reader (the Kafka port's range reader).`;
const { values } = parseCli(
  {
    options: {
      rate: { type: 'string', default: '1000' },
      seconds: { type: 'string' },
      quick: { type: 'boolean', default: false },
    },
  },
  usage,
);
const rate = Number(values.rate);
const seconds = Number(values.seconds ?? (values.quick ? 3 : 10));
if (!(rate > 0 && rate <= 20_000 && seconds > 0 && seconds <= 600)) {
  console.error(`--rate must be in (0, 20000] and --seconds in (0, 600]\n${usage}`);
  process.exit(2);
}
const total = Math.round(rate * seconds);

const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const pool = new pg.Pool({ connectionString: config.database.url, max: 8 });
const schemaIds = createSchemaIds(createSchemaRegistry({ url: config.registry.url }));
const emitter = createEmitter({ schemaIds });
const { schedule } = createScheduler({ schemaIds });
const aggregates = Array.from({ length: 256 }, () => randomUUID());
const event = (i: number): AnyEmitInput => {
  const id = aggregates[i % aggregates.length]!;
  return {
    type: 'booking.reminder_due',
    aggregateId: id,
    payload: { ...samples['booking.reminder_due'], bookingId: id },
  };
};

interface Arrival {
  at: number;
  timestamp: number;
  occurredAt: number;
}
const arrivals = new Map<string, Arrival>();

/** Reads events.booking from its end, noting when each event id arrives. */
async function follow(signal: AbortSignal) {
  const topic = 'events.booking';
  const ranges = await kafka.withAdmin(async (admin) =>
    (await admin.partitionBounds(topic)).map((b) => ({ topic, partition: b.partition, from: b.high })),
  );
  const reader = kafka.reader();
  const reading = (async () => {
    for await (const batch of reader.read({ ranges, signal })) {
      const at = Date.now();
      for (const r of batch.records) {
        const id = r.headers.get(envelopeHeaders.eventId)?.toString();
        const occurred = r.headers.get(envelopeHeaders.occurredAt)?.toString();
        if (id) arrivals.set(id, { at, timestamp: r.timestamp, occurredAt: Date.parse(occurred ?? '') });
      }
    }
  })().catch(() => {});
  return async () => {
    await reading;
    await reader.close();
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const row = (name: string, xs: number[]) =>
  `| ${name.padEnd(50)} | ${String(Math.round(pct(xs, 50))).padStart(5)} | ${String(Math.round(pct(xs, 99))).padStart(5)} | ${String(Math.round(Math.max(...xs))).padStart(6)} |`;

async function waitArrived(ids: Iterable<string>, what: string) {
  const list = [...ids];
  await waitFor(() => list.every((id) => arrivals.has(id)), {
    timeoutMs: 120_000 + seconds * 1_000,
    intervalMs: 100,
    what,
  });
}

async function scheduledRun(): Promise<Map<string, number>> {
  // Written ahead (an hour out), then moved to their due times by one UPDATE: how fast the
  // machine can schedule does not shape the load the dispatcher sees.
  const far = Date.now() + 3_600_000;
  const due = new Map<string, number>();
  const perTx = 100;
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const from = next;
      next += perTx;
      await withTx(pool, async (tx) => {
        for (let i = from; i < Math.min(from + perTx, total); i++) {
          const s = await schedule(tx, event(i) as never, { at: new Date(far + (i * 1000) / rate) });
          due.set(s.eventId, i);
        }
      });
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: 6 }, worker));
  console.log(`scheduled ${total} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const t0 = Date.now() + 1_000;
  await pool.query(
    "UPDATE scheduled_events SET due_at = due_at - $2::double precision * interval '1 millisecond' WHERE event_id = ANY($1::uuid[])",
    [[...due.keys()], far - t0],
  );
  const dueAt = new Map([...due].map(([id, i]) => [id, t0 + (i * 1000) / rate]));
  await waitArrived(dueAt.keys(), `${total} scheduled events to arrive`);
  return dueAt;
}

async function baselineRun(): Promise<Map<string, number>> {
  // emitMany every 10 ms with the events intended for that tick.
  const intended = new Map<string, number>();
  const t0 = Date.now() + 200;
  const ticks: Promise<void>[] = [];
  for (let tick = 0; tick * 10 < seconds * 1_000; tick++) {
    const at = t0 + tick * 10;
    const from = Math.round((tick * 10 * rate) / 1000);
    const to = Math.min(total, Math.round(((tick + 1) * 10 * rate) / 1000));
    if (to <= from) continue;
    const wait = at - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    ticks.push(
      withTx(pool, async (tx) => {
        const events = Array.from({ length: to - from }, (_, k) => event(from + k));
        for (const e of await emitter.emitMany(tx, events)) intended.set(e.eventId, at);
      }),
    );
  }
  await Promise.all(ticks);
  await waitArrived(intended.keys(), `${intended.size} emitted events to arrive`);
  return intended;
}

async function main() {
  const port = await freePort();
  const dispatcher = spawn(
    process.execPath,
    [path.join(import.meta.dirname, '..', 'producers', 'dispatcher-main.ts'), '--health-port', String(port)],
    { env: { ...process.env, OUTSTREAM_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const stop = new AbortController();
  const close = await follow(stop.signal);
  try {
    await waitFor(
      async () =>
        (
          (await (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.json()) as
            | { dispatcher?: { listening?: boolean } }
            | undefined
        )?.dispatcher?.listening,
      { timeoutMs: 60_000, what: 'the dispatcher to listen' },
    );
    console.log(`rate ${rate} due events/s for ${seconds} s (${total} events), one dispatcher process`);
    const baseline = await baselineRun();
    const due = await scheduledRun();
    const of = (m: Map<string, number>, f: (a: Arrival) => number) =>
      [...m].map(([id, t]) => f(arrivals.get(id)!) - t);
    console.log(`\n| ${'lateness (ms)'.padEnd(50)} |   p50 |   p99 |    max |`);
    console.log(`|${'-'.repeat(52)}|-------|-------|--------|`);
    const rows: [string, Map<string, number>, (a: Arrival) => number][] = [
      ['scheduled: due → published (occurred-at)', due, (a) => a.occurredAt],
      ['scheduled: due → Kafka record timestamp', due, (a) => a.timestamp],
      ['scheduled: due → arrival at a reader', due, (a) => a.at],
      ['baseline emitMany: tick → Kafka record timestamp', baseline, (a) => a.timestamp],
      ['baseline emitMany: tick → arrival at a reader', baseline, (a) => a.at],
    ];
    for (const [what, from, to] of rows) console.log(row(what, of(from, to)));
    console.log(
      `\nThe dispatcher's own cost is the difference of the "arrival" rows. Load average: ${(await import('node:os')).loadavg()[0]!.toFixed(1)} (2 cores): noisy figures under contention.`,
    );
  } finally {
    stop.abort();
    await close();
    dispatcher.kill('SIGTERM');
    await pool.end();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
