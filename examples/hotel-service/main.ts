import { setTimeout as sleep } from 'node:timers/promises';
import { trace } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { z } from 'zod';
import { createCache } from '../../consumers/cache-invalidation/cache.ts';
import { cacheKeys } from '../../consumers/cache-invalidation/keys.ts';
import { parseCli } from '../../core/cli.ts';
import { loadConfig } from '../../core/config.ts';
import { createPool } from '../../core/db.ts';
import { ConfigError, isOutstreamError } from '../../core/errors.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { startTracingFromEnv } from '../../core/telemetry/index.ts';
import { waitFor } from '../../core/wait.ts';
import { createEmitter, createScheduler, createSchemaIds, type Emitter } from '../../producers/index.ts';
import { ensureSchema } from './schema.ts';
import { createHotelService } from './service.ts';
import { createTraffic } from './traffic.ts';

const usage = `usage: npm run demo [-- --hotel 1[,2…]] [--events N] [--rate R] [--failures]
  Emits realistic hotel traffic (guests, bookings, rooms, messages) through emit().
  --hotel     hotel id(s) to use (default 1)
  --events    emit about N events, then exit (default: run until Ctrl-C)
  --rate      actions per second (default 4; an action emits 1–3 events)
  --failures  mix in guests whose mail the local SMTP sink rejects (550) or defers (451)
  --follow-up-after S  seconds after check-out when the scheduled follow-up email falls due
                       (default 86400; e.g. 10 to watch the dispatcher publish it)
  --reminder-lead S    seconds before check-in (14:00 UTC) when the scheduled reminder falls due
                       (default 86400)`;

const argsSchema = z.object({
  hotel: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$/, 'comma-separated hotel ids')
    .default('1'),
  events: z.coerce.number().int().positive().optional(),
  rate: z.coerce.number().positive().max(1000).default(4),
  failures: z.boolean().default(false),
  'follow-up-after': z.coerce.number().int().min(0).max(31_536_000).default(86_400),
  'reminder-lead': z.coerce.number().int().min(0).max(31_536_000).default(86_400),
});

async function main() {
  const { values } = parseCli(
    {
      options: {
        hotel: { type: 'string' },
        events: { type: 'string' },
        rate: { type: 'string' },
        failures: { type: 'boolean' },
        'follow-up-after': { type: 'string' },
        'reminder-lead': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    usage,
  );
  if (values.help) return console.log(usage);
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) {
    throw new ConfigError([...parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`), usage]);
  }
  const args = parsed.data;
  const hotels = args.hotel.split(',');
  const config = loadConfig(process.env);
  // With OTEL_EXPORTER_OTLP_ENDPOINT set, each emit runs in a span of the demo service: the
  // event carries its trace context, and the groups' handler spans join that trace.
  const tracing = await startTracingFromEnv(process.env, 'outstream-demo');
  const tracer = trace.getTracer('outstream.demo');
  const pool = createPool(config.database.url, {
    max: 4,
    onIdleError: (e) => console.error(`PostgreSQL: ${e.message} (reconnecting on demand)`),
  });
  const redis = new Redis(config.redis.url);
  const cache = createCache({ redis });
  let emitted = 0;
  const schemaIds = createSchemaIds(createSchemaRegistry({ url: config.registry.url }));
  const inner = createEmitter({ schemaIds });
  const emitter: Emitter = {
    emit: (tx, e) =>
      tracer.startActiveSpan(`emit ${e.type}`, async (span) => {
        try {
          const r = await inner.emit(tx, e);
          emitted++;
          return r;
        } finally {
          span.end();
        }
      }),
    emitMany: (tx, es) =>
      tracer.startActiveSpan(`emit ${es.map((e) => e.type).join(',')}`, async (span) => {
        try {
          const r = await inner.emitMany(tx, es);
          emitted += r.length;
          return r;
        } finally {
          span.end();
        }
      }),
  };
  const service = createHotelService({
    pool,
    emitter,
    scheduler: createScheduler({ schemaIds }),
    cache,
    times: { reminderLeadMs: args['reminder-lead'] * 1000, followUpDelayMs: args['follow-up-after'] * 1000 },
  });
  const traffic = createTraffic(service, { hotels, failures: args.failures });
  let stop = false;
  process.once('SIGINT', () => {
    stop = true;
  });
  process.once('SIGTERM', () => {
    stop = true;
  });

  try {
    await ensureSchema(pool);
    await traffic.prepare();
    await staffKnown(pool, hotels);
    await showCacheInvalidation(service, cache, hotels[0]!);
    const started = Date.now();
    let lastReport = started;
    let reportedAt = 0;
    const interval = 1000 / args.rate;
    while (!stop && (args.events === undefined || emitted < args.events)) {
      const t = Date.now();
      const what = await traffic.step();
      if (args.events !== undefined || args.rate <= 10) console.log(`  ${what}`);
      if (Date.now() - lastReport > 5_000) {
        const rate = (emitted - reportedAt) / ((Date.now() - lastReport) / 1000);
        console.log(`emitted ${emitted} events (${rate.toFixed(1)}/s)`);
        lastReport = Date.now();
        reportedAt = emitted;
      }
      await sleep(Math.max(0, interval - (Date.now() - t)));
    }
    console.log(`\nemitted ${emitted} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    printWhereToLook(config, hotels);
  } finally {
    await cache.close();
    redis.disconnect();
    await pool.end();
    await tracing?.shutdown();
  }
}

/** Waits briefly until the notifications group knows the staff (their events are on another topic). */
async function staffKnown(pool: pg.Pool, hotels: readonly string[]) {
  try {
    await waitFor(
      async () => {
        const { rows } = await pool.query<{ n: string }>(
          "SELECT count(DISTINCT hotel_id) AS n FROM notification_users WHERE hotel_id = ANY($1) AND role = 'STAFF'",
          [hotels],
        );
        return Number(rows[0]!.n) === hotels.length;
      },
      { timeoutMs: 15_000, what: 'the notifications group to learn the staff' },
    );
  } catch {
    console.log('! the notifications group has not seen the staff yet: is `npm start` running?');
  }
}

/** The first booking shows the cache at work: read (filled), confirmed, and dropped by the group. */
async function showCacheInvalidation(
  service: ReturnType<typeof createHotelService>,
  cache: ReturnType<typeof createCache>,
  hotelId: string,
) {
  const guest = await service.registerUser({
    name: 'Ada Lovelace',
    email: 'ada.lovelace@example.test',
    role: 'GUEST',
  });
  const id = await service.createBooking({
    hotelId,
    guestId: guest.id,
    nights: 3,
    partySize: 2,
    nightly: '120.50',
  });
  // The create's own invalidation may still be on its way: wait for it so the fill below sticks.
  await waitFor(async () => (await cache.watermark('booking', id)) >= 1, {
    timeoutMs: 10_000,
    what: 'the booking.created invalidation',
  }).catch(() => undefined);
  const before = await service.getBooking(id, hotelId);
  console.log(
    `cache: ${cacheKeys.booking(id)} read through (${before.status}); cached: ${await cache.has(cacheKeys.booking(id))}`,
  );
  const committed = Date.now();
  await service.confirmBooking(id);
  try {
    await waitFor(async () => !(await cache.has(cacheKeys.booking(id))), {
      timeoutMs: 10_000,
      intervalMs: 2,
      what: 'the invalidation',
    });
    console.log(`cache: dropped ${Date.now() - committed} ms after booking.confirmed committed`);
    const after = await service.getBooking(id, hotelId);
    console.log(`cache: read again → ${after.status}`);
  } catch {
    console.log(
      '! the entry was not dropped within 10 s: is the cache-invalidation group running (`npm start`)?',
    );
  }
}

function printWhereToLook(config: ReturnType<typeof loadConfig>, hotels: readonly string[]) {
  const psql = `psql ${config.database.url}`;
  console.log(`
where to look:
  notifications (inbox): ${psql} -c "SELECT recipient_id, kind, title, created_at FROM notifications ORDER BY created_at DESC LIMIT 10"
  emails received:       ${config.smtp.sinkUrl}/  (raw .eml files under ${config.stack.dir}/smtp/mail)
  analytics:             npm run analytics -- report --hotel ${hotels[0]}
                         curl 'http://127.0.0.1:${config.stack.ports.analyticsHealth}/analytics/report?hotel=${hotels[0]}'
  cache metrics:         curl -s http://127.0.0.1:${config.stack.ports.cacheInvalidationHealth}/metrics | grep outstream_cache
  dead letters:          npm run dlq -- list --group notifications --show 5`);
}

main().catch((e: unknown) => {
  console.error(isOutstreamError(e) ? e.message : e);
  process.exit(1);
});
