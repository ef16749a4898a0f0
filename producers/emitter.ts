import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import {
  ErrorCode,
  type FieldIssue,
  InvalidEventError,
  isOutstreamError,
  OutstreamError,
  UnknownEventTypeError,
} from '../core/errors.ts';
import { catalogue, type EventType, encodePayload, frame, isEventType } from '../schemas/index.ts';
import { type AnyEmitInput, type EmitInput, type Emitted, envelopeIssues } from './envelope.ts';
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

interface Prepared {
  input: AnyEmitInput;
  eventId: string;
  payload: Buffer;
  occurredAt: Date;
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
  async function prepare(input: AnyEmitInput): Promise<Prepared> {
    const type = (input as { type: unknown }).type;
    if (typeof type !== 'string' || !isEventType(type)) throw new UnknownEventTypeError(String(type));
    const issues: FieldIssue[] = envelopeIssues(input);
    let payload: Buffer | undefined;
    try {
      payload = encodePayload(type, input.payload as never);
    } catch (e) {
      if (!isOutstreamError(e, ErrorCode.invalidEvent)) throw e;
      issues.push(
        ...(e as InvalidEventError).issues.map((i) => ({ ...i, path: joinPath('payload', i.path) })),
      );
    }
    if (issues.length > 0 || payload === undefined) throw new InvalidEventError(type, issues);
    const schemaId = await schemaIds.idFor(type);
    return {
      input,
      eventId: uuidv7(),
      payload: frame(schemaId, payload),
      occurredAt: input.occurredAt ?? new Date(),
    };
  }

  async function write(tx: Tx, prepared: Prepared[]): Promise<Emitted[]> {
    // A savepoint makes the emit atomic inside the caller's transaction, and fails loudly
    // ("can only be used in transaction blocks") when there is no transaction at all.
    try {
      await tx.query('SAVEPOINT outstream_emit');
      const fresh = await claimIdempotencyKeys(tx, prepared);
      const sequences = await allocateSequences(tx, fresh);
      const results = prepared.map((p): Emitted => {
        const duplicateOf = fresh.includes(p) ? undefined : p.eventId;
        return {
          eventId: duplicateOf ?? p.eventId,
          type: p.input.type,
          aggregateId: p.input.aggregateId,
          topic: catalogue[p.input.type].topic,
          sequence: sequences.get(p) ?? 0,
          duplicate: duplicateOf !== undefined,
        };
      });
      if (fresh.length > 0) await insertRows(tx, fresh, sequences, retainRows);
      await tx.query('RELEASE SAVEPOINT outstream_emit');
      return results;
    } catch (e) {
      await tx.query('ROLLBACK TO SAVEPOINT outstream_emit').catch(() => {});
      if ((e as { code?: string }).code === '40001') {
        throw new SequenceConflictError(
          prepared.map((p) => `${p.input.type}/${p.input.aggregateId}`).join(', '),
          e,
        );
      }
      if ((e as { code?: string }).code === '25P01') {
        throw new OutstreamError(
          ErrorCode.invalidEvent,
          'emit() must run inside a transaction (after BEGIN)',
          {
            cause: e,
          },
        );
      }
      throw e;
    }
  }

  return {
    /** Emits one event in the caller's transaction. Throws InvalidEventError before writing anything. */
    async emit<K extends EventType>(tx: Tx, event: EmitInput<K>): Promise<Emitted> {
      const [result] = await write(tx, [await prepare(event as unknown as AnyEmitInput)]);
      return result!;
    },
    /**
     * Emits several events atomically, in order (events of one aggregate get consecutive
     * sequence numbers). Every event is validated before any is written.
     */
    async emitMany(tx: Tx, events: readonly AnyEmitInput[]): Promise<Emitted[]> {
      if (events.length === 0) return [];
      const prepared = await Promise.all(events.map(prepare));
      return write(tx, prepared);
    },
  };
}

/** The emitter {@link createEmitter} returns. */
export type Emitter = ReturnType<typeof createEmitter>;

function joinPath(prefix: string, path: string): string {
  if (path === '') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

/**
 * Claims the idempotency keys; returns the events to write. An event whose key is known
 * is left out, and its `eventId` is replaced by the id the key was first used for.
 */
async function claimIdempotencyKeys(tx: Tx, prepared: Prepared[]): Promise<Prepared[]> {
  const keyed = prepared.filter((p) => p.input.idempotencyKey !== undefined);
  if (keyed.length === 0) return prepared;
  const seen = new Set<string>();
  const fresh: Prepared[] = [];
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
 * Allocates consecutive sequence numbers per aggregate with one upsert each. The row lock
 * it takes is held to commit, so a concurrent transaction on the same aggregate waits and
 * then continues from the committed value: gap-free, increasing in commit order. Aggregates
 * are locked in a fixed order so that two multi-aggregate emits cannot deadlock.
 */
async function allocateSequences(tx: Tx, prepared: Prepared[]): Promise<Map<Prepared, number>> {
  const groups = new Map<string, Prepared[]>();
  for (const p of prepared) {
    const key = JSON.stringify([catalogue[p.input.type].aggregateType, p.input.aggregateId]);
    const list = groups.get(key) ?? [];
    list.push(p);
    groups.set(key, list);
  }
  const out = new Map<Prepared, number>();
  for (const key of [...groups.keys()].sort()) {
    const list = groups.get(key)!;
    const [aggregateType, aggregateId] = JSON.parse(key) as [string, string];
    const { rows } = await tx.query<{ last_sequence: string }>(
      `INSERT INTO outbox_sequences AS s (aggregate_type, aggregate_id, last_sequence) VALUES ($1, $2, $3)
       ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET last_sequence = s.last_sequence + EXCLUDED.last_sequence
       RETURNING last_sequence`,
      [aggregateType, aggregateId, list.length],
    );
    const last = Number(rows[0]!.last_sequence);
    list.forEach((p, i) => {
      out.set(p, last - list.length + 1 + i);
    });
  }
  return out;
}

async function insertRows(tx: Tx, rows: Prepared[], sequences: Map<Prepared, number>, retain: boolean) {
  const col = <T>(f: (p: Prepared) => T) => rows.map(f);
  const ids = col((p) => p.eventId);
  await tx.query(
    `INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, sequence, occurred_at, actor,
                         traceparent, tracestate, payload)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[],
                          $7::text[], $8::text[], $9::text[], $10::bytea[])`,
    [
      ids,
      col((p) => catalogue[p.input.type].aggregateType),
      col((p) => p.input.aggregateId),
      col((p) => p.input.type),
      col((p) => sequences.get(p)!),
      col((p) => p.occurredAt),
      col((p) => p.input.actor ?? null),
      col((p) => p.input.trace?.traceparent ?? null),
      col((p) => p.input.trace?.tracestate ?? null),
      col((p) => p.payload),
    ],
  );
  // The inserts are in the WAL, which is all Debezium reads; the publication skips deletes.
  if (!retain) await tx.query('DELETE FROM outbox WHERE event_id = ANY($1::uuid[])', [ids]);
}
