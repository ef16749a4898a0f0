import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { declaredTopics } from '../../infra/topics/topics.ts';
import { channelKinds, routes } from '../../realtime/channels.ts';
import { aggregateTypes, catalogue, ephemeralAggregateTypes, eventTypes } from '../catalogue.ts';
import { aggregateIdField } from './aggregate-id.ts';
import { asyncApiDocument } from './document.ts';
import { documentPath, renderDocument } from './main.ts';
import { repoSources } from './sources.ts';
import { validateDocument } from './validate.ts';

type Doc = {
  channels: Record<string, { address: string | null; messages: Record<string, { $ref: string }> }>;
  operations: Record<string, { action: string; channel: { $ref: string }; messages: { $ref: string }[] }>;
  components: { schemas: Record<string, { schema: unknown }>; messages: Record<string, unknown> };
};

const text = renderDocument();
const doc = parse(text) as Doc;

/**
 * What the parser says beyond errors and warnings: `asyncapi-latest-version` (info) recommends
 * AsyncAPI 3.1.0; the document is 3.0.0 on purpose, the version tools support most widely (it
 * also validates unchanged as 3.1.0).
 */
const explainedAdvice = ['asyncapi-latest-version'];

describe('the AsyncAPI document', () => {
  it('is valid for the official @asyncapi/parser, its Avro schemas and every example included', async () => {
    const findings = await validateDocument(text);
    expect(findings.filter((f) => f.severity === 'error' || f.severity === 'warning')).toEqual([]);
    expect(findings.map((f) => f.code).filter((c) => !explainedAdvice.includes(c))).toEqual([]);
  }, 60_000);

  it('names every topic of infra/topics, with every event type of the catalogue on its topic', () => {
    for (const topic of declaredTopics(aggregateTypes, {}, ephemeralAggregateTypes)) {
      const onTopic = eventTypes.filter((t) => catalogue[t].topic === topic.name);
      expect(doc.channels[topic.name]?.address).toBe(topic.name);
      expect(Object.keys(doc.channels[topic.name]!.messages)).toEqual(onTopic);
      expect(doc.operations[`receive.${topic.name}`]).toMatchObject({
        action: 'receive',
        channel: { $ref: `#/channels/${topic.name}` },
      });
    }
    for (const type of eventTypes) {
      expect(doc.components.messages[type], type).toBeDefined();
      expect(doc.components.schemas[catalogue[type].subject]?.schema).toEqual(catalogue[type].schema);
    }
  });

  it('names every route of realtime/channels.ts on its channel kind', () => {
    for (const kind of channelKinds) {
      const expected = eventTypes.filter((t) => Object.keys(routes[t]).some((r) => r.startsWith(`${kind}:`)));
      expect(doc.channels[`sse.${kind}`]?.address).toBe(`${kind}:{${kind}Id}`);
      expect(Object.keys(doc.channels[`sse.${kind}`]!.messages)).toEqual(expected);
    }
  });

  it('finds the aggregate id field of every event type (the record key)', () => {
    expect(eventTypes.filter((t) => aggregateIdField(catalogue[t].schema) === undefined)).toEqual([]);
  });

  it('grows with the catalogue: a new event type appears without touching the generator', () => {
    const sources = repoSources();
    const base = catalogue['booking.confirmed'];
    const upgraded = {
      ...base,
      eventType: 'booking.upgraded',
      subject: `${base.topic}-outstream.booking.Upgraded`,
    };
    const inputs = {
      ...sources,
      catalogue: [...sources.catalogue, upgraded],
      samples: { ...sources.samples, 'booking.upgraded': sources.samples['booking.confirmed'] },
      sse: {
        ...sources.sse,
        routes: { ...sources.sse.routes, 'booking.upgraded': sources.sse.routes['booking.confirmed'] },
        // The gateway's router knows only the real catalogue: no example for the new type.
        deliveries: (e: { type: string }) =>
          e.type === 'booking.upgraded' ? [] : sources.sse.deliveries(e as never),
      },
    } as unknown as typeof sources;
    const grown = asyncApiDocument(inputs) as unknown as Doc;
    expect(Object.keys(grown.channels['events.booking']!.messages)).toContain('booking.upgraded');
    expect(Object.keys(grown.channels['sse.hotel']!.messages)).toContain('booking.upgraded');
    expect(grown.components.schemas[upgraded.subject]).toBeDefined();
  });

  it('refuses an event type whose topic infra/topics does not declare', () => {
    const sources = repoSources();
    const orphan = { ...catalogue['room.status_changed'], eventType: 'suite.opened', topic: 'events.suite' };
    const inputs = { ...sources, catalogue: [...sources.catalogue, orphan] } as unknown as typeof sources;
    expect(() => asyncApiDocument(inputs)).toThrow(
      'suite.opened goes to events.suite, which infra/topics does not declare',
    );
  });

  it('reads the same to YAML 1.1 and 1.2 readers (timestamps and the like are quoted)', () => {
    expect(parse(text, { version: '1.1' })).toEqual(doc);
  });

  it('is checked in up to date (else run `npm run asyncapi`)', () => {
    expect(readFileSync(documentPath, 'utf8')).toBe(text);
  });
});
