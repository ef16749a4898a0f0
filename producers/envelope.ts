import type { FieldIssue } from '../core/errors.ts';
import type { TraceContext } from '../core/telemetry/index.ts';
import type { Events, EventType, OutboxEventType } from '../schemas/index.ts';

/** W3C trace context, propagated to every consumer as Kafka headers. */
export type { TraceContext };

/** What a service passes to `emit()` for one event of type `K`. */
export interface EmitInput<K extends EventType = EventType> {
  type: K;
  /** The aggregate the event belongs to: the Kafka key, so its events stay in order. */
  aggregateId: string;
  payload: Events[K];
  /** Who caused the event, e.g. `user:42` or `system:billing`. */
  actor?: string;
  /**
   * The event's W3C trace context; default the caller's active OpenTelemetry span (none when
   * no span is active or no SDK is registered). Consumers' handler spans continue it.
   */
  trace?: TraceContext;
  /** A second emit with the same key is ignored (see producers/README.md). */
  idempotencyKey?: string;
  /** When it happened; defaults to the time of the emit call. */
  occurredAt?: Date;
}

/** Any one outbox event: the union over every outbox event type (what `emitMany` takes). */
export type AnyEmitInput = { [K in OutboxEventType]: EmitInput<K> }[OutboxEventType];

/** What `emit()` wrote (or, for a known idempotency key, what was written before). */
export interface Emitted {
  eventId: string;
  type: EventType;
  aggregateId: string;
  topic: string;
  /** The per-aggregate sequence number; 0 for a duplicate (nothing was written). */
  sequence: number;
  /** True when the idempotency key was already used: nothing was written by this call. */
  duplicate: boolean;
}

const traceparentPattern = /^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
const limits = { aggregateId: 255, actor: 255, idempotencyKey: 255, tracestate: 512 } as const;

/** Checks the envelope fields a caller supplies; returns every issue (empty when valid). */
export function envelopeIssues(input: AnyEmitInput): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const text = (path: string, value: unknown, max: number, required: boolean) => {
    if (value === undefined && !required) return;
    // PostgreSQL text cannot hold NUL (22021): refused here, by name, before any statement.
    if (typeof value !== 'string' || value.length === 0 || value.length > max || value.includes('\u0000')) {
      issues.push({
        path,
        expected: `non-empty string of at most ${max} characters, without NUL`,
        received: render(value),
      });
    }
  };
  text('aggregateId', input.aggregateId, limits.aggregateId, true);
  text('actor', input.actor, limits.actor, false);
  text('idempotencyKey', input.idempotencyKey, limits.idempotencyKey, false);
  if (input.trace !== undefined) {
    if (typeof input.trace.traceparent !== 'string' || !traceparentPattern.test(input.trace.traceparent)) {
      issues.push({
        path: 'trace.traceparent',
        expected: 'W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)',
        received: render(input.trace.traceparent),
      });
    }
    text('trace.tracestate', input.trace.tracestate, limits.tracestate, false);
  }
  if (
    input.occurredAt !== undefined &&
    !(input.occurredAt instanceof Date && !Number.isNaN(+input.occurredAt))
  ) {
    issues.push({ path: 'occurredAt', expected: 'valid Date', received: render(input.occurredAt) });
  }
  return issues;
}

function render(value: unknown): string {
  if (value === undefined) return 'undefined';
  const s = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
