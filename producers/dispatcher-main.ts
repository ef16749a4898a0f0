import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { pino } from 'pino';
import { parseCli } from '../core/cli.ts';
import { loadConfig } from '../core/config.ts';
import { createPool } from '../core/db.ts';
import { isOutstreamError } from '../core/errors.ts';
import { createDispatcher, type Dispatcher } from './dispatcher.ts';

const usage = `usage: npm run dispatcher [-- --batch-size 500] [--health-port N] [--idle-recheck-ms 30000]
  Publishes scheduled events (producers/schedule.ts) through the outbox when they are due, until
  SIGTERM/SIGINT. Run as many as you like: each due event is published by exactly one of them.
  It sleeps until the next due time, is woken by PostgreSQL notifications when an earlier one is
  scheduled, and re-checks every --idle-recheck-ms (every second while it cannot listen). A
  database outage is waited out (0.2 s doubling to 10 s) and shown as "degraded" on /health.
  --batch-size N          most events published per transaction (default 500)
  --health-port N         GET /health (JSON status) listens here (default 18105 + OUTSTREAM_PORT_OFFSET;
                          busy: any free port; 0: any)
  --idle-recheck-ms N     longest sleep when nothing is due sooner (default 30000)
  env: DATABASE_URL (or the local stack's), OUTSTREAM_LOG_LEVEL (info)`;

const { values } = parseCli(
  {
    options: {
      'batch-size': { type: 'string' },
      'health-port': { type: 'string' },
      'idle-recheck-ms': { type: 'string' },
    },
  },
  usage,
);

function int(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}\n${usage}`);
    process.exit(2);
  }
  return n;
}

async function main() {
  const config = loadConfig(process.env);
  const batchSize = int('batch-size', values['batch-size'], 500, 1);
  const healthPort = int('health-port', values['health-port'], config.stack.ports.dispatcherHealth, 0);
  const idleRecheckMs = int('idle-recheck-ms', values['idle-recheck-ms'], 30_000, 100);
  const logger = pino({ level: process.env.OUTSTREAM_LOG_LEVEL ?? 'info' }).child({
    component: 'dispatcher',
  });
  const pool = createPool(config.database.url, {
    max: 2,
    onIdleError: (e) =>
      logger.warn({ err: e }, 'database connection lost; a new one is opened on the next claim'),
  });
  const dispatcher = createDispatcher({
    pool,
    databaseUrl: config.database.url,
    logger,
    batchSize,
    timing: { idleRecheckMs },
  });
  dispatcher.start();
  const server = await listen(healthApp(dispatcher), healthPort);
  const port = (server.address() as AddressInfo).port;
  logger.info(
    { health: `http://127.0.0.1:${port}/health`, batchSize },
    'scheduled events dispatcher running',
  );
  // Under `npm start`: the supervisor watches /health, and a dispatcher whose supervisor went
  // away stops itself.
  if (process.send) {
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
    process.send({ type: 'outstream:health', port });
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info('stopping');
    await dispatcher.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await pool.end().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** `GET /health`: `ok`, or `degraded` (an outage being waited out; still 200), or `unavailable` (503). */
function healthApp(dispatcher: Dispatcher): Hono {
  const app = new Hono();
  app.get('/health', (c) => {
    const s = dispatcher.status();
    const status = s.state !== 'running' ? 'unavailable' : s.degraded ? 'degraded' : 'ok';
    return c.json({ status, dispatcher: s }, status === 'unavailable' ? 503 : 200);
  });
  return app;
}

function listen(app: Hono, port: number): Promise<ReturnType<typeof serve>> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      // Another dispatcher on this machine holds the default port: scale-out still works.
      if (err.code === 'EADDRINUSE' && port !== 0) resolve(listen(app, 0));
      else reject(err);
    });
  });
}

main().catch((e: unknown) => {
  console.error(`dispatcher: ${isOutstreamError(e) ? e.message : e instanceof Error ? e.message : e}`);
  process.exit(1);
});
