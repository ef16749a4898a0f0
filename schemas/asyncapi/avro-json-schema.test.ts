import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { catalogue, eventTypes } from '../catalogue.ts';
import { decodePayload, encodePayload } from '../codec.ts';
import { samples } from '../samples.ts';
import { wireSchemaOf } from './avro-json-schema.ts';

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
addFormats.default(ajv);

describe('wireSchemaOf', () => {
  it('describes every sample as the codec decodes it and JSON renders it', () => {
    for (const type of eventTypes) {
      const decoded = decodePayload(type, encodePayload(type, samples[type]));
      const validate = ajv.compile(wireSchemaOf(catalogue[type].schema));
      const ok = validate(JSON.parse(JSON.stringify(decoded)));
      expect(ok, `${type}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  it('gives the decoded form of the logical types Outstream maps', () => {
    expect(wireSchemaOf({ type: 'long', logicalType: 'timestamp-millis' })).toEqual({
      type: 'string',
      format: 'date-time',
    });
    expect(wireSchemaOf({ type: 'string', logicalType: 'uuid' })).toEqual({ type: 'string', format: 'uuid' });
    const decimal = wireSchemaOf({ type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 });
    const validate = ajv.compile(decimal);
    expect(['361.50', '-0.05'].map((v) => validate(v))).toEqual([true, true]);
    expect(['361.5', '1e3', 361.5].map((v) => validate(v))).toEqual([false, false, false]);
    // A logical type Outstream does not map reads as its underlying type.
    expect(wireSchemaOf({ type: 'int', logicalType: 'date' })).toMatchObject({ type: 'integer' });
  });

  it('resolves named types by their namespace and keeps field docs', () => {
    const schema = wireSchemaOf({
      type: 'record',
      name: 'Outer',
      namespace: 'x.y',
      fields: [
        { name: 'a', type: { type: 'enum', name: 'Color', symbols: ['RED', 'BLUE'] }, doc: 'first' },
        { name: 'b', type: ['null', 'Color'], default: null, doc: 'second' },
        { name: 'c', type: { type: 'map', values: { type: 'array', items: 'x.y.Color' } } },
      ],
    });
    expect(schema).toMatchObject({
      title: 'x.y.Outer',
      required: ['a', 'b', 'c'],
      properties: {
        a: { type: 'string', enum: ['RED', 'BLUE'], description: 'first' },
        b: { anyOf: [{ type: 'null' }, { enum: ['RED', 'BLUE'] }], description: 'second' },
        c: { type: 'object', additionalProperties: { type: 'array', items: { enum: ['RED', 'BLUE'] } } },
      },
    });
  });

  it('refuses a recursive record and an unknown type name, naming them', () => {
    const recursive = {
      type: 'record' as const,
      name: 'Node',
      fields: [{ name: 'next', type: ['null', 'Node'] }],
    };
    expect(() => wireSchemaOf(recursive)).toThrow('recursive Avro record Node');
    expect(() => wireSchemaOf('Missing')).toThrow('unknown Avro type "Missing"');
  });
});
