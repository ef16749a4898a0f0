import { describe, expect, it } from 'vitest';
import { full, routes } from '../../realtime/channels.ts';
import { catalogue } from '../catalogue.ts';
import { samples } from '../samples.ts';
import type { JsonSchema } from './avro-json-schema.ts';
import { wireSchemaOf } from './avro-json-schema.ts';
import { projectSchema } from './projection-schema.ts';

const person: JsonSchema = {
  type: 'object',
  required: ['id', 'contact', 'note'],
  properties: {
    id: { type: 'string' },
    contact: {
      type: 'object',
      required: ['name', 'email'],
      properties: { name: { type: 'string' }, email: { type: 'string' } },
    },
    note: {
      anyOf: [{ type: 'null' }, { type: 'object', required: ['a', 'b'], properties: { a: {}, b: {} } }],
    },
  },
};

describe('projectSchema', () => {
  it('keeps the whole schema for the whole payload', () => {
    const value = { id: '1', contact: { name: 'Ada', email: 'a@x' }, note: null };
    expect(projectSchema(person, value)).toEqual({ schema: person, omitted: [] });
  });

  it('cuts the schema down to what a projection kept, nested objects and nullable records included', () => {
    const { schema, omitted } = projectSchema(person, { contact: { name: 'Ada' }, id: '1', note: { a: 1 } });
    expect(omitted).toEqual(['contact.email', 'note.b']);
    expect(schema).toEqual({
      type: 'object',
      required: ['id', 'contact', 'note'],
      properties: {
        id: { type: 'string' },
        contact: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
        note: { anyOf: [{ type: 'null' }, { type: 'object', required: ['a'], properties: { a: {} } }] },
      },
    });
  });

  it('describes a key the projection computed as any value', () => {
    const { schema } = projectSchema(person, { id: '1', initials: 'AL' });
    expect(schema.properties).toEqual({
      id: { type: 'string' },
      initials: { description: 'Computed by the channel projection.' },
    });
    expect(schema.required).toEqual(['id', 'initials']);
  });

  it("reads the staff view of a booking off realtime/channels.ts: the guest's email is left out", () => {
    const project = routes['booking.created']['hotel:{hotelId}'];
    expect(project).not.toBe(full);
    const fullSchema = wireSchemaOf(catalogue['booking.created'].schema);
    const { omitted } = projectSchema(fullSchema, project(samples['booking.created']));
    expect(omitted).toEqual(['guest.email']);
  });
});
