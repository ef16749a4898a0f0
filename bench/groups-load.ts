// Load generator of bench/groups.bench.ts, run as a child process so that emitting does not
// share an event loop with the consumers it measures. Emits the bench's event mix through
// emit() — one event per transaction at a fixed rate, or batches as fast as it can — and
// reports each event's commit time (performance.timeOrigin + now, comparable across
// processes) to the parent over IPC.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { loadConfig } from '../core/config.ts';
import { createSchemaRegistry } from '../core/schema-registry.ts';
import { type AnyEmitInput, createEmitter, createSchemaIds } from '../producers/index.ts';
import { samples } from '../schemas/index.ts';

/** What the parent asks for. */
export interface LoadPlan {
  mode: 'rate' | 'burst';
  /** rate: events per second, for `durationMs`. burst: `count` events, `batch` per transaction. */
  rate: number;
  durationMs: number;
  count: number;
  batch: number;
  /** Keep outbox rows (the polling relay of the baseline reads them). */
  retain: boolean;
  /** Written as every event's actor: the relay polls only these rows. */
  actor: string;
  hotels: string[];
  guestId: string;
  run: string;
}

/** One committed event: [event id, event type, commit time in ms]. */
export type Commit = [string, string, number];

const now = () => performance.timeOrigin + performance.now();

function mix(plan: LoadPlan, i: number): AnyEmitInput {
  const hotelId = plan.hotels[i % plan.hotels.length]!;
  const slot = i % 10;
  const bookingId = randomUUID();
  if (slot < 4) {
    return {
      type: 'booking.created',
      aggregateId: bookingId,
      payload: { ...samples['booking.created'], bookingId, hotelId, guestId: plan.guestId },
    };
  }
  if (slot < 7) {
    return {
      type: 'booking.confirmed',
      aggregateId: bookingId,
      payload: { ...samples['booking.confirmed'], bookingId, hotelId, guestId: plan.guestId },
    };
  }
  if (slot < 9) {
    const roomId = `${plan.run}-room-${i % 50}`;
    return {
      type: 'room.status_changed',
      aggregateId: roomId,
      payload: { ...samples['room.status_changed'], roomId, hotelId },
    };
  }
  const conversationId = randomUUID();
  return {
    type: 'message.created',
    aggregateId: conversationId,
    payload: {
      ...samples['message.created'],
      messageId: randomUUID(),
      conversationId,
      hotelId,
      recipientIds: [plan.guestId],
      attachments: [],
    },
  };
}

async function main() {
  const plan = JSON.parse(process.argv[2]!) as LoadPlan;
  const config = loadConfig(process.env);
  const pool = new pg.Pool({ connectionString: config.database.url, max: 8 });
  const schemaIds = createSchemaIds(createSchemaRegistry({ url: config.registry.url }));
  const { emitMany } = createEmitter({ schemaIds, retainRows: plan.retain });
  let pending: Commit[] = [];
  const flush = () => {
    if (pending.length > 0) process.send!({ commits: pending });
    pending = [];
  };
  const timer = setInterval(flush, 50);
  let i = 0;
  const tx = async (n: number) => {
    const events = Array.from({ length: n }, () => mix(plan, i++));
    for (const e of events) (e as { actor?: string }).actor = plan.actor;
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const emitted = await emitMany(c, events);
      await c.query('COMMIT');
      const t = now();
      for (const e of emitted) pending.push([e.eventId, e.type, t]);
    } finally {
      c.release();
    }
  };
  // Warm up connections and schema ids outside the measurement.
  await Promise.all(Array.from({ length: 8 }, () => pool.query('SELECT 1')));
  const types = ['booking.created', 'booking.confirmed', 'room.status_changed', 'message.created'] as const;
  await Promise.all(types.map((t) => schemaIds.idFor(t)));
  process.send!({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));

  const started = now();
  const cpuAtStart = process.cpuUsage();
  const inflight = new Set<Promise<void>>();
  const launch = (n: number) => {
    const p = tx(n).finally(() => inflight.delete(p));
    inflight.add(p);
  };
  if (plan.mode === 'rate') {
    // A fixed schedule: event k is due at started + k / rate; never burst to catch up more than 20 ms.
    let due = 0;
    while (now() - started < plan.durationMs) {
      const shouldHave = Math.floor(((now() - started) / 1000) * plan.rate);
      while (due < shouldHave && inflight.size < 32) {
        const n = Math.max(1, Math.min(plan.batch, shouldHave - due));
        launch(n);
        due += n;
      }
      await sleep(1);
    }
  } else {
    let left = plan.count;
    while (left > 0) {
      while (inflight.size < 4 && left > 0) {
        const n = Math.min(plan.batch, left);
        launch(n);
        left -= n;
      }
      await Promise.race(inflight);
    }
  }
  await Promise.all(inflight);
  clearInterval(timer);
  flush();
  const cpu = process.cpuUsage(cpuAtStart);
  process.send!({
    done: true,
    emitted: i,
    elapsedMs: now() - started,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  });
  await pool.end();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
