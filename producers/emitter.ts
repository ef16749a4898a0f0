import type pg from 'pg';
import { maxEventBytes } from '../connect/event-limit.ts';
import { ErrorCode, type FieldIssue, InvalidEventError, OutstreamError } from '../core/errors.ts';
import { catalogue, type OutboxEventType } from '../schemas/index.ts';
import type { AnyEmitInput, EmitInput, Emitted } from './envelope.ts';
import { insertOutboxRows } from './outbox-rows.ts';
import { type PreparedEvent, prepareEvent, toOutboxRow } from './prepare.ts';
import type { SchemaIds } from './schema-ids.ts';

/** Options of {@link createEmitter}. */
export interface EmitterOptions {
  schemaIds: SchemaIds;
  /**
   * Keep outbox rows after the insert (prune them with `npm run infra -- outbox prune`).
   * Default false: each row is deleted in the same transaction right after its insert;
   * Debezium reads the insert from the WAL, the publication ignores deletes, and the
   * outbox table stays empty.
   */
  retainRows?: boolean;
}

/** A transaction on the caller's connection (a `pg.Client` or a pooled client after BEGIN). */
export type Tx = Pick<pg.ClientBase, 'query'>;

// The largest event emit() accepts (framed payload plus envelope): the pipeline's one size
// limit, declared beside Kafka's record limit in connect/event-limit.ts; the outbox guard
// (migration 007) enforces the same figure for writers that bypass emit().
export { maxEventBytes };

/** Two transactions raced for one aggregate's sequence under REPEATABLE READ/SERIALIZABLE: retry the tx. */
export class SequenceConflictError extends OutstreamError {
  constructor(aggregate: string, cause: unknown) {
    super(
      ErrorCode.sequenceConflict,
      `concurrent transactions emitted on ${aggregate}: retry the transaction (under READ COMMITTED, ` +
        'the default, they wait for each other instead)',
      { retriable: true, cause },
    );
  }
}

/**
 * The typed outbox writer. `emit(tx, event)` validates and encodes the payload, allocates
 * the aggregate's next sequence number and writes the outbox row — all inside the caller's
 * transaction, so the event is published if and only if the transaction commits.
 *
 * @example
 * const { emit } = createEmitter({ schemaIds: createSchemaIds(registry) });
 * await db.query('BEGIN');
 * await db.query('UPDATE bookings SET status = $1 WHERE id = $2', ['CONFIRMED', id]);
 * await emit(db, { type: 'booking.confirmed', aggregateId: id, payload, actor: 'user:42' });
 * await db.query('COMMIT');
 */
export function createEmitter({ schemaIds, retainRows = false }: EmitterOptions) {
  async function write(tx: Tx, prepared: PreparedEvent[]): Promise<Emitted[]> {
    assertInTransaction(tx);
    try {
      const fresh = await claimIdempotencyKeys(tx, prepared);
      const sequences =
        fresh.length > 0
          ? await insertOutboxRows(tx, fresh.map(toOutboxRow), retainRows)
          : new Map<string, number>();
      return prepared.map(
        (p): Emitted => ({
          eventId: p.eventId,
          type: p.input.type,
          aggregateId: p.input.aggregateId,
          topic: catalogue[p.input.type].topic,
          sequence: sequences.get(p.eventId) ?? 0,
          duplicate: !sequences.has(p.eventId),
        }),
      );
    } catch (e) {
      // Any error aborts the caller's transaction in PostgreSQL: nothing half-written can commit.
      if ((e as { code?: string }).code === '40001') {
        throw new SequenceConflictError(
          prepared.map((p) => `${p.input.type}/${p.input.aggregateId}`).join(', '),
          e,
        );
      }
      throw e;
    }
  }

  return {
    /** Emits one event in the caller's transaction. Throws InvalidEventError before writing anything. */
    async emit<K extends OutboxEventType>(tx: Tx, event: EmitInput<K>): Promise<Emitted> {
      const [result] = await write(tx, [await prepareEvent(schemaIds, event as unknown as AnyEmitInput)]);
      return result!;
    },
    /**
     * Emits several events atomically, in order (events of one aggregate get consecutive
     * sequence numbers). Every event is validated before any is written.
     */
    async emitMany(tx: Tx, events: readonly AnyEmitInput[]): Promise<Emitted[]> {
      if (events.length === 0) return [];
      const prepared = await Promise.all(events.map((e) => prepareEvent(schemaIds, e)));
      return write(tx, prepared);
    },
  };
}

/** The emitter {@link createEmitter} returns. */
export type Emitter = ReturnType<typeof createEmitter>;

/**
 * Claims the idempotency keys; returns the events to write. An event whose key is known
 * is left out, and its `eventId` is replaced by the id the key was first used for.
 */
async function claimIdempotencyKeys(tx: Tx, prepared: PreparedEvent[]): Promise<PreparedEvent[]> {
  const keyed = prepared.filter((p) => p.input.idempotencyKey !== undefined);
  if (keyed.length === 0) return prepared;
  const seen = new Set<string>();
  const fresh: PreparedEvent[] = [];
  for (const p of prepared) {
    const key = p.input.idempotencyKey;
    if (key === undefined) {
      fresh.push(p);
      continue;
    }
    if (seen.has(key)) throw new InvalidEventError(p.input.type, [sameKeyTwice(key)]);
    seen.add(key);
    // Concurrent transactions with one key: the second waits on the unique index until the
    // first ends, then sees the key (ignored) or inserts it (first rolled back).
    const { rows } = await tx.query<{ event_id: string }>(
      `WITH ins AS (
         INSERT INTO outbox_idempotency (idempotency_key, event_id) VALUES ($1, $2)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING event_id)
       SELECT event_id FROM ins
       UNION ALL SELECT event_id FROM outbox_idempotency WHERE idempotency_key = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
      [key, p.eventId],
    );
    const id = rows[0]?.event_id;
    if (id === p.eventId) fresh.push(p);
    else if (id !== undefined) p.eventId = id;
  }
  return fresh;
}

function sameKeyTwice(key: string): FieldIssue {
  return {
    path: 'idempotencyKey',
    expected: 'a key used once per emitMany call',
    received: JSON.stringify(key),
  };
}

/**
 * Fails before writing when `tx` is not a client inside a transaction: a pool (each statement
 * would run on any connection and autocommit, publishing the event whatever the caller's
 * transaction does), or a pg client that is idle or aborted.
 */
export function assertInTransaction(tx: Tx, caller = 'emit()') {
  if ('totalCount' in tx || 'idleCount' in tx) {
    throw new OutstreamError(
      ErrorCode.invalidEvent,
      `${caller} takes a client inside a transaction, not a pool: \`const tx = await pool.connect()\`, BEGIN, ${caller}, COMMIT`,
    );
  }
  const status = (tx as { getTransactionStatus?: () => string | null }).getTransactionStatus?.();
  if (status === 'I') {
    throw new OutstreamError(
      ErrorCode.invalidEvent,
      `${caller} must run inside a transaction (after BEGIN): the event is published only if it commits`,
    );
  }
  if (status === 'E')
    throw new OutstreamError(ErrorCode.invalidEvent, `${caller} called in an aborted transaction`);
}
