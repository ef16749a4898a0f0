import pg from 'pg';
import { Dependency, DependencyUnavailableError, networkErrorCodes } from './errors.ts';

/**
 * Opens one PostgreSQL connection for `work` and always closes it: for commands and
 * one-off jobs (services keep a `pg.Pool`).
 */
export async function withClient<T>(
  databaseUrl: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // A server that goes away mid-job fails the job's query; without a listener the client's
  // 'error' event would also end the process.
  client.on('error', () => {});
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
  /**
   * Told when a connection fails outside a query (a database restart): an idle one, or one a
   * caller has checked out. The pool opens a new one when needed; the caller's own queries on
   * the broken connection fail and are retried by their owners.
   */
  onIdleError?: (error: Error) => void;
  /** How long a caller waits for a connection before an error (default 10 s): never forever. */
  connectionTimeoutMs?: number;
}

/**
 * A `pg.Pool` that survives a database restart. node-postgres emits `'error'` on the pool for
 * an idle connection the server closes, and on the *client* for a checked-out one (pg-pool
 * removes its own listener while a client is checked out); either crashes a process that does
 * not listen (issue 12: every group exited on a PostgreSQL restart). Both are heard here: the
 * broken connection is dropped and another is opened on the next query. A connection attempt
 * gives up after `connectionTimeoutMs` instead of waiting forever.
 *
 * @example
 * const pool = createPool(config.database.url, { max: 6, onIdleError: (e) => logger.warn({ err: e }, 'db') });
 */
export function createPool(databaseUrl: string, o: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: o.max,
    connectionTimeoutMillis: o.connectionTimeoutMs ?? 10_000,
    keepAlive: true,
  });
  const onError = (e: Error) => o.onIdleError?.(e);
  pool.on('error', onError);
  // One listener for the client's whole life: it is the one that hears a checked-out client.
  pool.on('connect', (client) => client.on('error', onError));
  return pool;
}

// SQLSTATEs that mean "the server cannot serve now", never "this statement is wrong": class 08
// (connection exceptions), admin/crash shutdown (57P01, 57P02), starting up (57P03), cannot
// connect now (57P05), too many connections (53300).
const unavailableStates = new Set(['57P01', '57P02', '57P03', '57P05', '53300']);

// node-postgres reports a lost or unobtainable connection with these plain errors, which carry
// no code at all (pg 8.x `client.js`, `pg-pool/index.js`): the exact texts are the only mark.
const codelessConnectionErrors = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Query read timeout',
  'timeout expired',
]);

/**
 * Whether a node-postgres failure means the database is unavailable (down, restarting,
 * refusing connections, out of connections) rather than the statement or its data being
 * wrong. Decided by the SQLSTATE or the errno code where the error has one.
 */
export function isPostgresUnavailable(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code;
  // The server answered with an error: its SQLSTATE says whether it can serve at all.
  if (e instanceof pg.DatabaseError)
    return typeof code === 'string' && (code.startsWith('08') || unavailableStates.has(code));
  if (typeof code === 'string') return networkErrorCodes.has(code);
  // A connection that could not be made at all (several addresses) comes as an AggregateError.
  if (e instanceof AggregateError) return e.errors.some(isPostgresUnavailable);
  return e instanceof Error && e.constructor === Error && codelessConnectionErrors.has(e.message);
}

/**
 * The error to throw for a failed PostgreSQL call: a {@link DependencyUnavailableError}
 * (waited out by consumers, never dead-lettered) when the database is unavailable, else the
 * error itself.
 *
 * @example
 * try { await pool.query(…); } catch (e) { throw postgresError(e); }
 */
export function postgresError(e: unknown): unknown {
  if (!isPostgresUnavailable(e)) return e;
  const detail = e instanceof Error ? e.message || (e as { code?: string }).code || e.name : String(e);
  return new DependencyUnavailableError(Dependency.postgres, detail, { cause: e });
}
