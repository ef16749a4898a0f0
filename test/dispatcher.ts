import type pg from 'pg';
import { pino } from 'pino';
import { waitFor } from '../core/wait.ts';
import { createDispatcher, type Dispatcher } from '../producers/index.ts';

/**
 * A scheduled-events dispatcher for a test, started and listening: resolves once its LISTEN is
 * in place, so a schedule made after it is never missed for want of a wake-up. Stop it with
 * `dispatcher.stop()`.
 */
export async function startTestDispatcher(pool: pg.Pool, databaseUrl: string): Promise<Dispatcher> {
  const dispatcher = createDispatcher({ pool, databaseUrl, logger: pino({ level: 'silent' }) });
  dispatcher.start();
  await waitFor(() => dispatcher.status().listening, { timeoutMs: 10_000, what: 'the dispatcher to LISTEN' });
  return dispatcher;
}
