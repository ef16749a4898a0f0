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
