import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { maxEventBytes } from '../connect/event-limit.ts';
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
    if (catalogue[type].ephemeral) {
      // Debezium would route it to `events.<aggregate>`, a topic nobody reads for it.
      throw new InvalidEventError(type, [
        {
          path: 'type',
          expected: 'an outbox event type (ephemeral types are written with publish(), no database)',
          received: JSON.stringify(type),
        },
      ]);
    }
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
    const size = payload.length + 5 + envelopeBytes(input);
    if (size > maxEventBytes) {
      throw new InvalidEventError(type, [
        {
          path: 'payload',
          expected: `an event of at most ${maxEventBytes} bytes (framed Avro payload and envelope)`,
          received: `${size} bytes`,
        },
      ]);
    }
    const schemaId = await schemaIds.idFor(type);
    return {
      input,
      eventId: uuidv7(),
      payload: frame(schemaId, payload),
      occurredAt: input.occurredAt ?? new Date(),
    };
  }

  async function write(tx: Tx, prepared: Prepared[]): Promise<Emitted[]> {
    assertInTransaction(tx);
    try {
      const fresh = await claimIdempotencyKeys(tx, prepared);
      const sequences =
        fresh.length > 0 ? await insertRows(tx, fresh, retainRows) : new Map<string, number>();
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

/** Bytes of the envelope columns that travel as headers (an upper bound with the header names). */
function envelopeBytes(input: AnyEmitInput): number {
  const text = [
    input.type,
    input.aggregateId,
    input.actor,
    input.trace?.traceparent,
    input.trace?.tracestate,
  ];
  // event id, aggregate type, sequence, occurred-at and the header names: a fixed allowance.
  return 256 + text.reduce((sum, t) => sum + (t === undefined ? 0 : Buffer.byteLength(t)), 0);
}

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
 * Fails before writing when `tx` is not a client inside a transaction: a pool (each statement
 * would run on any connection and autocommit, publishing the event whatever the caller's
 * transaction does), or a pg client that is idle or aborted.
 */
function assertInTransaction(tx: Tx) {
  if ('totalCount' in tx || 'idleCount' in tx) {
    throw new OutstreamError(
      ErrorCode.invalidEvent,
      'emit() takes a client inside a transaction, not a pool: `const tx = await pool.connect()`, BEGIN, emit, COMMIT',
    );
  }
  const status = (tx as { getTransactionStatus?: () => string | null }).getTransactionStatus?.();
  if (status === 'I') {
    throw new OutstreamError(
      ErrorCode.invalidEvent,
      'emit() must run inside a transaction (after BEGIN): the event is published only if it commits',
    );
  }
  if (status === 'E')
    throw new OutstreamError(ErrorCode.invalidEvent, 'emit() called in an aborted transaction');
}

/**
 * One statement allocates the sequence numbers and writes the rows. The upsert takes each
 * aggregate's row lock, held to commit, so a concurrent transaction on the same aggregate
 * waits and continues from the committed value: gap-free, increasing in commit order.
 * Aggregates are locked in sorted order, so two multi-aggregate emits cannot deadlock.
 * Events of one aggregate are numbered in input order.
 *
 * @returns the sequence number of each event id.
 */
async function insertRows(tx: Tx, rows: Prepared[], retain: boolean): Promise<Map<string, number>> {
  const col = <T>(f: (p: Prepared) => T) => rows.map(f);
  // Named: prepared once per connection, so PostgreSQL plans this statement only once.
  const { rows: written } = await tx.query<{ event_id: string; sequence: string }>({
    name: 'outstream_emit',
    text: `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],
                            $7::text[], $8::text[], $9::bytea[])
         WITH ORDINALITY AS t(event_id, aggregate_type, aggregate_id, event_type, occurred_at, actor,
                              traceparent, tracestate, payload, ord)),
     counts AS (SELECT aggregate_type, aggregate_id, count(*) AS n FROM input GROUP BY 1, 2),
     seq AS (
       INSERT INTO outbox_sequences AS s (aggregate_type, aggregate_id, last_sequence)
       SELECT aggregate_type, aggregate_id, n FROM counts ORDER BY aggregate_type, aggregate_id
       ON CONFLICT (aggregate_type, aggregate_id)
         DO UPDATE SET last_sequence = s.last_sequence + EXCLUDED.last_sequence
       RETURNING aggregate_type, aggregate_id, last_sequence),
     numbered AS (
       SELECT i.*, seq.last_sequence - c.n
                   + row_number() OVER (PARTITION BY i.aggregate_type, i.aggregate_id ORDER BY i.ord) AS sequence
       FROM input i JOIN counts c USING (aggregate_type, aggregate_id) JOIN seq USING (aggregate_type, aggregate_id))
     INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, sequence, occurred_at, actor,
                         traceparent, tracestate, payload)
     SELECT event_id, aggregate_type, aggregate_id, event_type, sequence, occurred_at, actor,
            traceparent, tracestate, payload
     FROM numbered ORDER BY ord
     RETURNING event_id, sequence`,
    values: [
      col((p) => p.eventId),
      col((p) => catalogue[p.input.type].aggregateType),
      col((p) => p.input.aggregateId),
      col((p) => p.input.type),
      col((p) => p.occurredAt),
      col((p) => p.input.actor ?? null),
      col((p) => p.input.trace?.traceparent ?? null),
      col((p) => p.input.trace?.tracestate ?? null),
      col((p) => p.payload),
    ],
  });
  // The inserts are in the WAL, which is all Debezium reads; the publication skips deletes.
  if (!retain) {
    await tx.query({
      name: 'outstream_emit_delete',
      text: 'DELETE FROM outbox WHERE event_id = ANY($1::uuid[])',
      values: [col((p) => p.eventId)],
    });
  }
  return new Map(written.map((r) => [r.event_id, Number(r.sequence)]));
}
