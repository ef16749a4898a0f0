import { envelopeHeaders } from '../../connect/outbox-connector.ts';
import { deadLetterHeaders as h } from '../../consumers/framework/index.ts';
import { headerText, type KafkaRecord } from '../../core/kafka/index.ts';

/** A dead letter as an operator reads it: what failed, where it was, and why. */
export interface DeadLetterView {
  /** Where the dead letter is. */
  topic: string;
  partition: number;
  offset: string;
  /** When it was dead-lettered (ISO-8601). */
  deadLetteredAt: string;
  /** `poison`, `retries-exhausted`, `non-retriable`, `blocked`, or null when missing. */
  reason: string | null;
  group: string | null;
  /** Where the event was when it failed. */
  original: {
    topic: string | null;
    partition: number | null;
    offset: string | null;
    key: string | null;
    /** When it was written to its topic (ISO-8601). */
    writtenAt: string | null;
  };
  error: { class: string | null; code: string | null; message: string | null };
  attempts: number | null;
  firstAttemptAt: string | null;
  lastAttemptAt: string | null;
  /** With `blocked`: the offset of the event whose dead letter holds its key back. */
  blockedByOffset: string | null;
  /** The envelope of the event (from its headers). */
  event: {
    id: string | null;
    type: string | null;
    aggregateType: string | null;
    aggregateId: string | null;
    sequence: string | null;
    occurredAt: string | null;
    actor: string | null;
    traceparent: string | null;
  };
  /** The payload bytes: size, and the schema id when Confluent-framed (null: not framed). */
  value: { bytes: number; schemaId: number | null };
}

/** Decodes a dead letter's headers into a {@link DeadLetterView} (pure). */
export function viewDeadLetter(record: KafkaRecord): DeadLetterView {
  const get = (name: string) => headerText(record.headers, name) ?? null;
  const num = (name: string) => {
    const v = get(name);
    return v !== null && /^\d+$/.test(v) ? Number(v) : null;
  };
  const value = record.value;
  const framed = value !== null && value.length >= 5 && value[0] === 0;
  return {
    topic: record.topic,
    partition: record.partition,
    offset: String(record.offset),
    deadLetteredAt: isoFromMillis(String(record.timestamp)) ?? String(record.timestamp),
    reason: get(h.reason),
    group: get(h.group),
    original: {
      topic: get(h.originalTopic),
      partition: num(h.originalPartition),
      offset: get(h.originalOffset),
      key: get(h.originalKey) ?? record.key?.toString() ?? null,
      writtenAt: isoFromMillis(get(h.originalTimestamp)),
    },
    error: { class: get(h.errorClass), code: get(h.errorCode), message: get(h.errorMessage) },
    attempts: num(h.attempts),
    firstAttemptAt: get(h.firstAttemptAt),
    lastAttemptAt: get(h.lastAttemptAt),
    blockedByOffset: get(h.blockedBy),
    event: {
      id: get(envelopeHeaders.eventId),
      type: get(envelopeHeaders.eventType),
      aggregateType: get(envelopeHeaders.aggregateType),
      aggregateId: get(envelopeHeaders.aggregateId),
      sequence: get(envelopeHeaders.sequence),
      occurredAt: get(envelopeHeaders.occurredAt),
      actor: get(envelopeHeaders.actor),
      traceparent: get(envelopeHeaders.traceparent),
    },
    value: { bytes: value?.length ?? 0, schemaId: framed ? value.readInt32BE(1) : null },
  };
}

const reasons: Record<string, string> = {
  poison: 'poison: the record cannot be decoded (bad bytes, unknown schema id, missing envelope)',
  'retries-exhausted': 'retries exhausted: the handler kept failing',
  'non-retriable': 'non-retriable: the handler failed with an error marked not worth retrying',
  blocked: 'blocked: an earlier event of the same key was dead-lettered (block-key ordering)',
};

/** The view as indented lines for a terminal (pure). */
export function formatDeadLetter(v: DeadLetterView): string[] {
  const o = v.original;
  const e = v.event;
  const lines = [
    `${v.topic} partition ${v.partition} offset ${v.offset}, dead-lettered ${v.deadLetteredAt}`,
    `  reason    ${v.reason === null ? '- (no dlq-reason header: not written by the framework?)' : (reasons[v.reason] ?? v.reason)}`,
  ];
  if (v.blockedByOffset !== null)
    lines.push(`  blocked   by the dead letter of ${o.topic ?? '?'} offset ${v.blockedByOffset}`);
  if (v.error.class !== null || v.error.message !== null) {
    const code = v.error.code === null ? '' : ` [${v.error.code}]`;
    const message = (v.error.message ?? '').replaceAll('\n', '\n            ');
    lines.push(`  error     ${v.error.class ?? 'Error'}${code}: ${message}`);
  }
  if (v.attempts !== null) {
    const when =
      v.attempts > 0 && v.firstAttemptAt !== null
        ? ` (first ${v.firstAttemptAt}, last ${v.lastAttemptAt ?? '?'})`
        : '';
    lines.push(`  attempts  ${v.attempts}${when}`);
  }
  lines.push(
    `  original  ${o.topic ?? '?'} partition ${o.partition ?? '?'} offset ${o.offset ?? '?'}, key ${o.key ?? '(none)'}` +
      (o.writtenAt ? `, written ${o.writtenAt}` : ''),
  );
  if (e.type !== null || e.id !== null) {
    const aggregate = e.aggregateId === null ? '' : `, ${e.aggregateType ?? 'aggregate'} ${e.aggregateId}`;
    const sequence = e.sequence === null ? '' : ` #${e.sequence}`;
    lines.push(`  event     ${e.type ?? '?'} ${e.id ?? '?'}${aggregate}${sequence}`);
    const extra = [
      e.occurredAt && `occurred ${e.occurredAt}`,
      e.actor && `actor ${e.actor}`,
      e.traceparent && `traceparent ${e.traceparent}`,
    ].filter(Boolean);
    if (extra.length > 0) lines.push(`            ${extra.join(', ')}`);
  } else lines.push('  event     no envelope headers');
  lines.push(
    `  value     ${v.value.bytes} bytes, ${v.value.schemaId === null ? 'not Confluent-framed' : `schema id ${v.value.schemaId}`}`,
  );
  return lines;
}

function isoFromMillis(ms: string | null): string | null {
  if (ms === null || !/^\d+$/.test(ms)) return null;
  const d = new Date(Number(ms));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
