import type pg from 'pg';
import type { Fact } from './rules.ts';

/** A transaction on the caller's connection. */
export type Tx = Pick<pg.ClientBase, 'query'>;

/** The live schema; `rebuild` writes to another one made by `analytics_create_tables`. */
export const liveSchema = 'analytics';

/** Quotes a schema name after checking it is a plain identifier (it is spliced into SQL). */
export function schemaIdent(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new RangeError(`not a plain schema name: ${schema}`);
  return `"${schema}"`;
}

/** What one {@link applyFacts} call did. */
export interface ApplyResult {
  /** Facts added to the totals. */
  counted: number;
  /** Facts whose event was already counted (a redelivery): ignored. */
  duplicates: number;
}

/**
 * Adds a batch of facts to the totals in one round trip: `analytics_apply_facts` (migration
 * 009) takes the swap lock shared, claims the event ids in `counted_events` (a known id drops
 * its fact) and adds the rest to the three totals tables with grouped upserts, rows in
 * primary-key order so that concurrent batches lock them in the same order (no deadlocks).
 * Money is summed by PostgreSQL as `numeric`: exact, never a float. Inside the caller's
 * transaction when `tx` is a client in one; alone (`pool.query`) it is its own transaction.
 */
export async function applyFacts(tx: Tx, facts: readonly Fact[], schema = liveSchema): Promise<ApplyResult> {
  if (facts.length === 0) return { counted: 0, duplicates: 0 };
  schemaIdent(schema);
  const col = <T>(f: (x: Fact) => T) => facts.map(f);
  const { rows } = await tx.query<ApplyResult>(
    `SELECT counted, duplicates FROM analytics_apply_facts($1, $2::uuid[], $3::text[], $4::int[], $5::bigint[],
       $6::text[], $7::text[], $8::timestamptz[], $9::text[], $10::text[], $11::numeric[], $12::text[])`,
    [
      schema,
      col((f) => f.eventId),
      col((f) => f.topic),
      col((f) => f.partition),
      col((f) => f.offset.toString()),
      col((f) => f.hotelId ?? ''),
      col((f) => f.eventType),
      col((f) => f.at),
      col((f) => f.funnel ?? null),
      col((f) => f.money?.kind ?? null),
      col((f) => f.money?.amount ?? null),
      col((f) => f.money?.currency ?? null),
    ],
  );
  return rows[0] as ApplyResult;
}
