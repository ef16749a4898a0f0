import { v7 as uuidv7 } from 'uuid';
import { maxEventBytes } from '../connect/event-limit.ts';
import {
  ErrorCode,
  type FieldIssue,
  InvalidEventError,
  isOutstreamError,
  UnknownEventTypeError,
} from '../core/errors.ts';
import { activeTraceContext, type TraceContext } from '../core/telemetry/index.ts';
import { catalogue, type EventType, encodePayload, frame, isEventType } from '../schemas/index.ts';
import { type AnyEmitInput, envelopeIssues } from './envelope.ts';
import type { OutboxRow } from './outbox-rows.ts';
import type { SchemaIds } from './schema-ids.ts';

/** An event validated, encoded and framed: ready to become an outbox row. */
export interface PreparedEvent {
  input: AnyEmitInput;
  eventId: string;
  /** The Confluent-framed Avro payload. */
  payload: Buffer;
  occurredAt: Date;
  /** The input's trace context, or else the caller's active span's (none without one). */
  trace: TraceContext | undefined;
}

/** An event checked and Avro-encoded (not yet framed): what {@link checkEvent} returns. */
export interface CheckedEvent {
  type: EventType;
  /** The payload's Avro encoding, without the Confluent frame. */
  body: Buffer;
}

/** Where an event is written: the outbox (emit, schedule) or its ephemeral topic (publish). */
export type EventDestination = 'outbox' | 'ephemeral';

/**
 * The one validation path of every event, whatever writes it: the type is known and fits the
 * destination, the envelope fields are valid, the payload matches its Avro schema, and the
 * whole event (framed payload plus envelope and headers) is within `maxEventBytes`.
 *
 * @param aggregatePath where the aggregate id came from, when the caller took it from the
 *   payload (publish()): its issues are reported there, once.
 * @throws UnknownEventTypeError for a type the catalogue does not know.
 * @throws InvalidEventError naming every offending field (or the size).
 */
export function checkEvent(
  input: AnyEmitInput,
  destination: EventDestination,
  trace: TraceContext | undefined,
  { extraIssues = [], aggregatePath }: { extraIssues?: readonly FieldIssue[]; aggregatePath?: string } = {},
): CheckedEvent {
  const type = (input as { type: unknown }).type;
  if (typeof type !== 'string' || !isEventType(type)) throw new UnknownEventTypeError(String(type));
  if (Boolean(catalogue[type].ephemeral) !== (destination === 'ephemeral')) {
    throw new InvalidEventError(type, [
      {
        path: 'type',
        expected:
          destination === 'outbox'
            ? // Debezium would route it to `events.<aggregate>`, a topic nobody reads for it.
              'an outbox event type (ephemeral types are written with publish(), no database)'
            : 'an ephemeral event type (outbox events are written with emit() in a transaction)',
        received: JSON.stringify(type),
      },
    ]);
  }
  const issues: FieldIssue[] = [...envelopeIssues(input), ...extraIssues];
  if (aggregatePath !== undefined) {
    for (const i of issues) if (i.path === 'aggregateId') i.path = aggregatePath;
  }
  let body: Buffer | undefined;
  try {
    body = encodePayload(type, input.payload as never);
  } catch (e) {
    if (!isOutstreamError(e, ErrorCode.invalidEvent)) throw e;
    for (const i of (e as InvalidEventError).issues) {
      const path = joinPath('payload', i.path);
      if (!issues.some((j) => j.path === path)) issues.push({ ...i, path });
    }
  }
  if (issues.length > 0 || body === undefined) throw new InvalidEventError(type, issues);
  const size = body.length + 5 + envelopeBytes(input, trace);
  if (size > maxEventBytes) {
    throw new InvalidEventError(type, [
      {
        path: 'payload',
        expected: `an event of at most ${maxEventBytes} bytes (framed Avro payload and envelope)`,
        received: `${size} bytes`,
      },
    ]);
  }
  return { type, body };
}

/**
 * Validates an event ({@link checkEvent}), encodes and frames it: the one path every outbox
 * event takes before it is written, by `emit()` as by `schedule()`.
 *
 * @throws UnknownEventTypeError for a type the catalogue does not know.
 * @throws InvalidEventError naming every offending field (or the size), before anything is written.
 */
export async function prepareEvent(
  schemaIds: SchemaIds,
  input: AnyEmitInput,
  extraIssues: readonly FieldIssue[] = [],
): Promise<PreparedEvent> {
  // The caller's active span when it gave none: its handlers' spans then join its trace.
  const trace = input.trace ?? activeTraceContext();
  const { type, body } = checkEvent(input, 'outbox', trace, { extraIssues });
  const schemaId = await schemaIds.idFor(type);
  return {
    input,
    eventId: uuidv7(),
    payload: frame(schemaId, body),
    occurredAt: input.occurredAt ?? new Date(),
    trace,
  };
}

/** The outbox row of a prepared event. */
export function toOutboxRow(p: PreparedEvent): OutboxRow {
  return {
    eventId: p.eventId,
    aggregateType: catalogue[p.input.type].aggregateType,
    aggregateId: p.input.aggregateId,
    eventType: p.input.type,
    occurredAt: p.occurredAt,
    actor: p.input.actor ?? null,
    traceparent: p.trace?.traceparent ?? null,
    tracestate: p.trace?.tracestate ?? null,
    payload: p.payload,
  };
}

/** Bytes of the envelope columns that travel as headers (an upper bound with the header names). */
function envelopeBytes(input: AnyEmitInput, trace: TraceContext | undefined): number {
  const text = [input.type, input.aggregateId, input.actor, trace?.traceparent, trace?.tracestate];
  // event id, aggregate type, sequence, occurred-at and the header names: a fixed allowance.
  return 256 + text.reduce((sum, t) => sum + (t === undefined ? 0 : Buffer.byteLength(t)), 0);
}

function joinPath(prefix: string, path: string): string {
  if (path === '') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}
