import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';

/** The folder of numbered migrations (`NNN_name.sql`), applied in order. */
export const migrationsDir = path.join(import.meta.dirname, 'sql');

/** One migration file. */
export interface Migration {
  id: string;
  sql: string;
  checksum: string;
}

/** Reads every migration of a folder, sorted by its numeric prefix. */
export function readMigrations(dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const sql = readFileSync(path.join(dir, f), 'utf8');
      return { id: f.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

// Any constant works: it only has to be the same for every process that migrates.
const lockKey = 0x6f757473;

/**
 * Applies the migrations not yet applied, each in its own transaction, under an advisory
 * lock so that two processes starting together do not race. A migration whose file changed
 * after it was applied is an error: migrations are append-only.
 *
 * @returns the ids applied by this call (empty when up to date).
 */
export async function migrate(client: pg.ClientBase, migrations = readMigrations()): Promise<string[]> {
  await client.query('SELECT pg_advisory_lock($1)', [lockKey]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS outstream_migrations (
      id text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ id: string; checksum: string }>(
      'SELECT id, checksum FROM outstream_migrations',
    );
    const applied = new Map(rows.map((r) => [r.id, r.checksum]));
    const done: string[] = [];
    for (const m of migrations) {
      const previous = applied.get(m.id);
      if (previous !== undefined) {
        if (previous !== m.checksum) {
          throw new Error(`migration ${m.id} was changed after it was applied: add a new migration instead`);
        }
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO outstream_migrations (id, checksum) VALUES ($1, $2)', [
          m.id,
          m.checksum,
        ]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.id} failed: ${(e as Error).message}`, { cause: e });
      }
      done.push(m.id);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [lockKey]);
  }
}
