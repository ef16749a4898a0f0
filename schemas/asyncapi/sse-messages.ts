import type { CatalogueEntry } from '../catalogue.ts';
import type { JsonSchema } from './avro-json-schema.ts';
import type { SseInputs } from './inputs.ts';

/**
 * The `data:` JSON of an event on a channel, as `realtime/server/router.ts` writes it: the
 * envelope, the channel it was delivered for, and the channel's projection of the payload.
 * `sse-messages.test.ts` checks these keys against what the router writes.
 */
export function sseEventSchema(entry: CatalogueEntry, kind: string, payload: JsonSchema): JsonSchema {
  return {
    type: 'object',
    required: [
      'id',
      'type',
      'channel',
      'aggregateType',
      'aggregateId',
      'sequence',
      'occurredAt',
      'actor',
      'traceId',
      'payload',
    ],
    properties: {
      id: {
        type: 'string',
        format: 'uuid',
        description: 'Event id, a UUIDv7 (the Kafka header `event-id`).',
      },
      type: {
        type: 'string',
        const: entry.eventType,
        description: 'Event type, also the SSE `event:` name.',
      },
      channel: {
        type: 'string',
        pattern: `^${kind}:`,
        description:
          'The channel this delivery is for (an event reaches a stream once, even when several of its channels match).',
      },
      aggregateType: { type: 'string', const: entry.aggregateType },
      aggregateId: { type: 'string' },
      sequence: {
        type: 'integer',
        minimum: 1,
        description:
          "Per-aggregate sequence number: drop one at or below the aggregate's last; a jump is a gap.",
      },
      occurredAt: { type: 'string', format: 'date-time' },
      actor: { type: ['string', 'null'], description: 'Who caused the event, when the emitter said.' },
      traceId: {
        type: ['string', 'null'],
        pattern: '^[0-9a-f]{32}$',
        description:
          "The OpenTelemetry trace id of the emit (from the `traceparent` header); null when the event carries no valid trace context. A browser reports it to join the emitter's trace.",
      },
      payload,
    },
  };
}

/**
 * The frames every stream carries whatever its channels (`realtime/server/sse-frame.ts`):
 * checkpoints and the `reset` and `disconnect` control events, their reasons read from the
 * gateway's own constants.
 */
export function controlMessages(sse: SseInputs): Record<string, object> {
  const control = (reasons: readonly string[], what: string): JsonSchema => ({
    type: 'object',
    required: ['reason', 'message'],
    properties: {
      reason: { type: 'string', enum: [...reasons], description: what },
      message: { type: 'string', description: 'What happened, for people.' },
    },
  });
  return {
    'sse.checkpoint': {
      name: 'checkpoint',
      title: 'checkpoint',
      summary: 'Moves the client position forward without an event for it.',
      description:
        "`id:` a resume token, `event: checkpoint`, an empty `data:`. Sent with a heartbeat when the node read records that were not for this stream, or the stream's last id grows old, so a quiet client still resumes from near now.",
      contentType: 'text/plain',
      payload: { type: 'string', maxLength: 0 },
    },
    'sse.reset': {
      name: 'reset',
      title: 'reset',
      summary: 'The resume gap cannot be served: refetch state.',
      description:
        '`id:` a fresh position (the stream goes on from there), `event: reset`, `data:` this JSON. Sent instead of the missed events when a `Last-Event-ID` cannot be resumed from.',
      contentType: 'application/json',
      payload: control(sse.resetReasons, 'Why the gap cannot be served.'),
    },
    'sse.disconnect': {
      name: 'disconnect',
      title: 'disconnect',
      summary: 'The gateway ends the stream: reconnect and resume.',
      description:
        '`event: disconnect`, `data:` this JSON, then the stream ends. Reconnect with `Last-Event-ID` (and a fresh token when it expired); nothing is lost.',
      contentType: 'application/json',
      payload: control(sse.disconnectReasons, 'Why the stream ended.'),
    },
  };
}
