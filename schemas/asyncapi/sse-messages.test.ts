import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { createRouter } from '../../realtime/server/router.ts';
import { catalogue, eventTypes } from '../catalogue.ts';
import type { AnyEvent } from '../event.ts';
import { samples } from '../samples.ts';
import type { JsonSchema } from './avro-json-schema.ts';
import { asyncApiDocument } from './document.ts';
import { repoSources } from './sources.ts';

const doc = asyncApiDocument(repoSources()) as {
  components: { messages: Record<string, { payload: JsonSchema }> };
};
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
addFormats.default(ajv);

/** Paths of `value` the schema does not name: a field the gateway sends but the document omits. */
function undocumented(schema: JsonSchema, value: unknown, path = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const branches = Array.isArray(schema.anyOf) ? (schema.anyOf as JsonSchema[]) : [schema];
  const properties = Object.assign({}, ...branches.map((b) => b.properties ?? {})) as Record<
    string,
    JsonSchema
  >;
  return Object.entries(value).flatMap(([k, v]) =>
    properties[k] === undefined ? [`${path}${k}`] : undocumented(properties[k], v, `${path}${k}.`),
  );
}

describe('the SSE messages of the document', () => {
  it("describe exactly what the gateway's router sends for every sample, on every channel it reaches", () => {
    const router = createRouter();
    let deliveries = 0;
    for (const type of eventTypes) {
      const entry = catalogue[type];
      const event = {
        id: '0193a5b2-7d4e-7c01-8a2b-3c4d5e6f7081',
        type,
        aggregateType: entry.aggregateType,
        aggregateId: 'agg-1',
        sequence: 7,
        occurredAt: new Date('2025-06-02T09:14:03.120Z'),
        actor: null,
        trace: null,
        payload: samples[type],
        kafka: { topic: entry.topic, partition: 0, offset: 0n, timestamp: 0 },
      } as unknown as AnyEvent;
      for (const delivery of router.route(event)) {
        deliveries++;
        const kind = delivery.channel.slice(0, delivery.channel.indexOf(':'));
        const message = doc.components.messages[`sse.${kind}.${type}`];
        expect(message, `sse.${kind}.${type}`).toBeDefined();
        const data: unknown = JSON.parse(delivery.data);
        const validate = ajv.compile(message!.payload);
        expect(validate(data), `${delivery.channel} ${type}: ${ajv.errorsText(validate.errors)}`).toBe(true);
        expect(undocumented(message!.payload, data), `${delivery.channel} ${type}`).toEqual([]);
      }
    }
    // Every event type reaches at least one channel, message.* a channel per participant.
    expect(deliveries).toBeGreaterThan(eventTypes.length);
  });

  it("say what a projection leaves out: the hotel channel's booking view has no guest email", () => {
    const hotel = doc.components.messages['sse.hotel.booking.created']!;
    const booking = doc.components.messages['sse.booking.booking.created']!;
    const propertiesOf = (s: JsonSchema | undefined) => (s?.properties ?? {}) as Record<string, JsonSchema>;
    const guestOf = (m: { payload: JsonSchema }) =>
      Object.keys(propertiesOf(propertiesOf(propertiesOf(m.payload).payload).guest));
    expect(guestOf(hotel)).toEqual(['name']);
    expect(guestOf(booking)).toEqual(['name', 'email']);
    expect(hotel).toMatchObject({ description: expect.stringContaining('without `guest.email`') });
  });
});
