import type pg from 'pg';

/**
 * Runs `work` in a transaction on a pooled client: COMMIT on success, ROLLBACK and rethrow
 * on failure.
 */
export async function withTx<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
