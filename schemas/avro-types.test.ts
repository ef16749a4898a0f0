import { describe, expect, it } from 'vitest';
import { buildAvroType } from './avro-types.ts';

describe('timestamp-millis', () => {
  const type = buildAvroType({ type: 'long', logicalType: 'timestamp-millis' });

  it('round-trips a Date to the millisecond', () => {
    const at = new Date('2025-07-01T22:51:09.300Z');
    const back = type.fromBuffer(type.toBuffer(at));
    expect(back).toBeInstanceOf(Date);
    expect(back.toISOString()).toBe('2025-07-01T22:51:09.300Z');
    expect(type.fromBuffer(type.toBuffer(new Date(-1))).getTime()).toBe(-1);
  });

  it('accepts only valid Dates: no epoch numbers, no ISO strings', () => {
    expect(type.isValid(Date.now())).toBe(false);
    expect(type.isValid('2025-07-01T22:51:09.300Z')).toBe(false);
    expect(type.isValid(new Date(Number.NaN))).toBe(false);
  });

  it('reads a plain long written by an older schema as a Date', () => {
    const writer = buildAvroType('long');
    expect(type.fromBuffer(writer.toBuffer(86_400_000), type.createResolver(writer))).toEqual(
      new Date('1970-01-02T00:00:00.000Z'),
    );
  });

  it('must annotate a long', () => {
    expect(() => buildAvroType({ type: 'string', logicalType: 'timestamp-millis' })).toThrow(/long/);
  });
});

describe('uuid', () => {
  const type = buildAvroType({ type: 'string', logicalType: 'uuid' });

  it('accepts v4 and v7 ids and writes them lower-cased', () => {
    expect(type.fromBuffer(type.toBuffer('0193A5B2-4C1D-7E2F-9A3B-5C6D7E8F9012'))).toBe(
      '0193a5b2-4c1d-7e2f-9a3b-5c6d7e8f9012',
    );
    expect(type.isValid('f47ac10b-58cc-4372-a567-0e02b2c3d479')).toBe(true);
  });

  it.each(['1', 'abc', '0193a5b2-4c1d-7e2f-9a3b-5c6d7e8f901', '{0193a5b2-4c1d-7e2f-9a3b-5c6d7e8f9012}', 42])(
    'rejects %j',
    (value) => {
      expect(type.isValid(value)).toBe(false);
    },
  );
});

describe('buildAvroType', () => {
  it('unwraps nullable unions', () => {
    const type = buildAvroType(['null', { type: 'long', logicalType: 'timestamp-millis' }]);
    expect(type.fromBuffer(type.toBuffer(null))).toBeNull();
    expect(type.fromBuffer(type.toBuffer(new Date(5)))).toEqual(new Date(5));
  });

  it('rejects unions that would need wrapping, which the generated types cannot describe', () => {
    const record = (name: string) => ({ type: 'record' as const, name, fields: [] });
    expect(() => buildAvroType(['null', record('A'), record('B')])).toThrow(/ambiguous/);
  });

  it('leaves logical types it does not map to their underlying type', () => {
    const type = buildAvroType({ type: 'int', logicalType: 'date' });
    expect(type.fromBuffer(type.toBuffer(20_000))).toBe(20_000);
  });
});
