import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { createPool, withClient } from './db.ts';
import { waitFor } from './wait.ts';

const config = loadConfig(process.env);

describe('createPool', () => {
  it('survives the server closing an idle connection (a database restart) and serves the next query', async () => {
    const errors: Error[] = [];
    const pool = createPool(config.database.url, { max: 1, onIdleError: (e) => errors.push(e) });
    try {
      const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // The connection is idle in the pool now; the server ends it, as a restart would.
      await withClient(config.database.url, (c) =>
        c.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]),
      );
      await waitFor(() => errors.length > 0, { timeoutMs: 10_000, what: 'the idle connection error' });
      expect(errors[0]?.message).toMatch(/terminat/i);
      const again = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      expect(again.rows[0]!.pid).not.toBe(rows[0]!.pid);
    } finally {
      await pool.end();
    }
  });
});
