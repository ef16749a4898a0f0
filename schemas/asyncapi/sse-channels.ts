import type { CatalogueEntry } from '../catalogue.ts';
import type { AnyEvent } from '../event.ts';
import { sampleAggregateId } from './aggregate-id.ts';
import { type JsonSchema, wireSchemaOf } from './avro-json-schema.ts';
import type { AsyncApiInputs, SseRoute } from './inputs.ts';
import { projectSchema } from './projection-schema.ts';
import { names, ref } from './refs.ts';
import { controlMessages, sseEventSchema } from './sse-messages.ts';

/** The SSE side of the document: one channel per channel kind, plus the stream's own frames. */
export interface SsePart {
  channels: Record<string, object>;
  operations: Record<string, object>;
  messages: Record<string, object>;
}

const streamChannel = 'sse.stream';

/**
 * Channels, operations and messages of the realtime gateway, read from its route table: for
 * each channel kind, the event types routed to it with the projection that channel sees (its
 * schema read off the projection of each event type's sample, its example the router's own
 * output for that sample).
 */
export function ssePart(inputs: AsyncApiInputs): SsePart {
  const { sse } = inputs;
  const part: SsePart = { channels: {}, operations: {}, messages: {} };
  const control = controlMessages(sse);
  Object.assign(part.messages, control);
  // Channel-local message keys: `reset` for the component `sse.reset`.
  const controlKeys = Object.keys(control).map((m) => m.slice('sse.'.length));
  part.channels[streamChannel] = {
    address: null,
    title: 'Every stream',
    summary: 'Frames a stream carries whatever its channels.',
    description: `Besides these: a \`retry:\` hint first (with ±50 % jitter), and a heartbeat comment (\`:\`) every ${sse.heartbeatMs / 1000} s.`,
    servers: [ref('servers', names.gatewayServer)],
    messages: Object.fromEntries(controlKeys.map((m) => [m, ref('components', 'messages', `sse.${m}`)])),
  };
  part.operations[`receive.${streamChannel}`] = operation(inputs, streamChannel, controlKeys, {
    title: 'Stream frames',
    summary: 'A client reads the checkpoints and control events of its stream.',
  });

  for (const kind of sse.channelKinds) {
    const channel = `sse.${kind}`;
    const param = `${kind}Id`;
    const routed = inputs.catalogue
      .map((entry) => ({ entry, routes: sse.routes[entry.eventType].filter((r) => r.kind === kind) }))
      .filter(({ routes }) => routes.length > 0);
    const keys: string[] = [];
    const fills: string[] = [];
    const examples = new Set<string>();
    for (const { entry, routes } of routed) {
      const key = `sse.${kind}.${entry.eventType}`;
      keys.push(key);
      fills.push(`${entry.eventType}: ${routes.map((r) => `\`${r.field}\``).join(' or ')}`);
      const example = exampleData(inputs, entry, kind);
      const id = typeof example?.channel === 'string' ? example.channel.slice(kind.length + 1) : undefined;
      if (id) examples.add(id);
      part.messages[key] = message(inputs, entry, kind, routes, example);
    }
    part.channels[channel] = {
      address: `${kind}:{${param}}`,
      title: `${kind}:{${param}}`,
      summary: `The \`${kind}\` channels: ${routed.map(({ entry }) => entry.eventType).join(', ')}.`,
      description: `Subscribe with \`?channels=${kind}:<id>\`. The token's \`${sse.claim}\` claim must grant it: \`${kind}:<id>\`, \`${kind}:*\` or \`*\`.`,
      parameters: {
        [param]: {
          description: `The payload field that names the channel (an array field reaches one channel per element; a null one none): ${fills.join('; ')}.`,
          ...(examples.size > 0 ? { examples: [...examples] } : {}),
        },
      },
      servers: [ref('servers', names.gatewayServer)],
      messages: Object.fromEntries(
        keys.map((k) => [k.slice(channel.length + 1), ref('components', 'messages', k)]),
      ),
    };
    part.operations[`receive.${channel}`] = operation(
      inputs,
      channel,
      keys.map((k) => k.slice(channel.length + 1)),
      {
        title: `Stream ${kind} channels`,
        summary: `A client reads \`${kind}:<id>\` channels over Server-Sent Events.`,
      },
    );
  }
  return part;
}

function operation(
  inputs: AsyncApiInputs,
  channel: string,
  messageKeys: string[],
  text: { title: string; summary: string },
): object {
  const { sse } = inputs;
  return {
    action: 'receive',
    channel: ref('channels', channel),
    ...text,
    description: [
      `\`GET ${sse.path}?channels=<kind>:<id>[,…]\` (at most ${sse.maxChannels} channels), \`Accept: text/event-stream\`, with the JWT as \`Authorization: Bearer\`, the \`${sse.cookieName}\` cookie or \`?token=\`.`,
      'Each event: `id:` an opaque resume token, `event:` the event type, `data:` one line of JSON. Reconnect with `Last-Event-ID` (or `?lastEventId=`) to receive exactly what was missed.',
      'Refusals are JSON `{error, message}`: 400 malformed channel list, 401 bad or missing token, 403 channels the token does not grant (listed in `channels`), 429 and 503 (with `Retry-After`) when a limit is reached or the node is starting or draining.',
    ].join(' '),
    messages: messageKeys.map((m) => ref('channels', channel, 'messages', m)),
    bindings: {
      http: {
        method: 'GET',
        query: {
          type: 'object',
          required: ['channels'],
          properties: {
            channels: {
              type: 'string',
              description: `Comma-separated \`<kind>:<id>\`, kinds ${sse.channelKinds.map((k) => `\`${k}\``).join(', ')}, ids of 1–128 letters, digits and \`. _ ~ @ -\`.`,
            },
            token: {
              type: 'string',
              description: 'The JWT, for clients that cannot set a header (EventSource).',
            },
            lastEventId: {
              type: 'string',
              description:
                'Resume token for a new EventSource; the `Last-Event-ID` header wins when both are sent.',
            },
          },
        },
        bindingVersion: names.httpBinding,
      },
    },
  };
}

function message(
  inputs: AsyncApiInputs,
  entry: CatalogueEntry,
  kind: string,
  routes: readonly SseRoute[],
  example: Record<string, unknown> | undefined,
): object {
  const full = wireSchemaOf(entry.schema);
  const sample = inputs.samples[entry.eventType];
  const views = new Map<string, { schema: JsonSchema; omitted: string[] }>();
  for (const route of routes) {
    const projected = projectSchema(full, route.project(sample as never));
    views.set(JSON.stringify(projected.schema), projected);
  }
  const distinct = [...views.values()];
  const seen = distinct.map((v) =>
    v.omitted.length === 0
      ? 'the whole payload'
      : `the payload without ${v.omitted.map((p) => `\`${p}\``).join(', ')}`,
  );
  const payload = distinct.length === 1 ? distinct[0]!.schema : { anyOf: distinct.map((v) => v.schema) };
  return {
    name: entry.eventType,
    title: `${entry.eventType} on ${kind}`,
    summary: entry.schema.doc,
    description: `SSE \`event: ${entry.eventType}\`; \`data:\` this JSON. The channel sees ${seen.join(', or ')}.`,
    contentType: 'application/json',
    payload: sseEventSchema(entry, kind, payload),
    ...(example
      ? {
          examples: [
            { name: 'sample', summary: 'What the gateway sends for the sample event.', payload: example },
          ],
        }
      : {}),
  };
}

/** The router's `data:` for the sample of `entry` on its first `kind` channel, parsed. */
function exampleData(
  inputs: AsyncApiInputs,
  entry: CatalogueEntry,
  kind: string,
): Record<string, unknown> | undefined {
  const x = inputs.example;
  const event = {
    id: x.id,
    type: entry.eventType,
    aggregateType: entry.aggregateType,
    aggregateId: sampleAggregateId(inputs, entry),
    sequence: x.sequence,
    occurredAt: x.occurredAt,
    actor: x.actor,
    trace: { traceparent: x.traceparent, tracestate: null },
    payload: inputs.samples[entry.eventType],
    kafka: { topic: entry.topic, partition: 0, offset: 0n, timestamp: x.occurredAt.getTime() },
  } as unknown as AnyEvent;
  const delivery = inputs.sse.deliveries(event).find((d) => d.channel.startsWith(`${kind}:`));
  return delivery === undefined ? undefined : (JSON.parse(delivery.data) as Record<string, unknown>);
}
