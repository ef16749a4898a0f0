// The baseline of bench/groups.bench.ts: the seeds' design (a Celery beat task dispatching an
// outbox): a relay polls the outbox table every `intervalMs`, decodes the rows and calls the
// same group handlers in process — per aggregate in order, 64 at a time per group, as the
// framework does — then deletes what it dispatched. No Kafka on the path.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { pino } from 'pino';
import { createKeyScheduler, type Handler, type Handlers } from '../consumers/framework/index.ts';
import { type AnyEvent, decodePayload, type EventType, unframe } from '../schemas/index.ts';

/** Called when a group's handler finished an event. */
export type OnEffect = (group: string, event: AnyEvent, startedAt: number, endedAt: number) => void;

const now = () => performance.timeOrigin + performance.now();

/** Starts the relay; `stop()` ends it after the current poll. */
export function startRelay(o: {
  pool: pg.Pool;
  /** Rows of these actors are dispatched (the load's, and what the handlers emit in turn). */
  actors: string[];
  intervalMs: number;
  groups: Record<string, Handlers>;
  onEffect: OnEffect;
}) {
  let running = true;
  const logger = pino({ level: 'silent' });
  const signal = new AbortController().signal;
  const schedulers = Object.fromEntries(
    Object.keys(o.groups).map((g) => [g, createKeyScheduler({ limit: 64 })]),
  );
  const loop = (async () => {
    while (running) {
      const t0 = now();
      const { rows } = await o.pool.query<{
        event_id: string;
        aggregate_type: string;
        aggregate_id: string;
        event_type: EventType;
        actor: string;
        sequence: string;
        occurred_at: Date;
        payload: Buffer;
      }>(
        `SELECT event_id, aggregate_type, aggregate_id, event_type, actor, sequence, occurred_at, payload
         FROM outbox WHERE actor = ANY($1) ORDER BY created_at, event_id LIMIT 5000`,
        [o.actors],
      );
      if (rows.length > 0) {
        const events = rows.map(
          (r) =>
            ({
              id: r.event_id,
              type: r.event_type,
              aggregateType: r.aggregate_type,
              aggregateId: r.aggregate_id,
              sequence: Number(r.sequence),
              occurredAt: r.occurred_at,
              actor: r.actor,
              trace: null,
              payload: decodePayload(r.event_type, unframe(r.payload).body),
              kafka: { topic: `events.${r.aggregate_type}`, partition: 0, offset: 0n, timestamp: 0 },
            }) as AnyEvent,
        );
        const work: Promise<unknown>[] = [];
        for (const [group, handlers] of Object.entries(o.groups)) {
          for (const e of events) {
            const h = (handlers as Record<string, Handler<EventType> | undefined>)[e.type];
            if (!h) continue;
            work.push(
              schedulers[group]!.schedule(e.aggregateId, async () => {
                const start = now();
                await h(e as never, { group, attempt: 1, signal, logger }).catch(() => undefined);
                o.onEffect(group, e, start, now());
              }),
            );
          }
        }
        await Promise.all(work);
        await o.pool.query('DELETE FROM outbox WHERE event_id = ANY($1::uuid[])', [
          rows.map((r) => r.event_id),
        ]);
      }
      await sleep(Math.max(0, o.intervalMs - (now() - t0)));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
