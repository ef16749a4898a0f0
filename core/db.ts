import pg from 'pg';

/**
 * Opens one PostgreSQL connection for `work` and always closes it: for commands and
 * one-off jobs (services keep a `pg.Pool`).
 */
export async function withClient<T>(
  databaseUrl: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Options of {@link createPool}. */
export interface PoolOptions {
  max: number;
  /** Told when an idle connection fails (a database restart): the pool opens a new one when needed. */
  onIdleError?: (error: Error) => void;
}

/**
 * A `pg.Pool` that survives a database restart: an idle connection the server closes makes the
 * pool emit `'error'`, which crashes a process that does not listen for it (issue 12: every
 * group exited on a PostgreSQL restart). The pool drops that connection and opens another on
 * the next query; callers' own queries fail and are retried by their owners.
 *
 * @example
 * const pool = createPool(config.database.url, { max: 6, onIdleError: (e) => logger.warn({ err: e }, 'db') });
 */
export function createPool(databaseUrl: string, o: PoolOptions): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: o.max });
  pool.on('error', (e) => o.onIdleError?.(e));
  return pool;
}
