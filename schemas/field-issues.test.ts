import { describe, expect, it } from 'vitest';
import { buildAvroType } from './avro-types.ts';
import { collectIssues, describeValue } from './field-issues.ts';

const type = buildAvroType({
  type: 'record',
  name: 'outstream.test.Order',
  fields: [
    { name: 'labels', type: { type: 'map', values: 'int' } },
    {
      name: 'shipping',
      type: ['null', { type: 'record', name: 'Address', fields: [{ name: 'city', type: 'string' }] }],
      default: null,
    },
    { name: 'lines', type: ['null', { type: 'array', items: 'Address' }], default: null },
    { name: 'hash', type: ['null', { type: 'fixed', name: 'Md5', size: 16 }], default: null },
  ],
});

describe('collectIssues', () => {
  it('reports map entries by key and looks inside nullable records and arrays', () => {
    const issues = collectIssues(type, {
      labels: { vip: 1, 'two words': 'x' },
      shipping: { city: 7, zip: '1010' },
      lines: [{ city: 'Wien' }, { town: 'Graz' }],
      hash: Buffer.alloc(3),
    });
    expect(issues).toEqual([
      { path: 'labels["two words"]', expected: 'int (32-bit integer)', received: '"x"' },
      { path: 'shipping.city', expected: 'string', received: '7' },
      { path: 'lines[1].city', expected: 'string', received: 'undefined' },
      { path: 'hash', expected: 'fixed Md5 (Buffer of 16 bytes)', received: 'Buffer(3 bytes)' },
      {
        path: 'shipping.zip',
        expected: 'no such field in record Address (fields: city)',
        received: '"1010"',
      },
      {
        path: 'lines[1].town',
        expected: 'no such field in record Address (fields: city)',
        received: '"Graz"',
      },
    ]);
  });

  it('suggests a field only for a near miss', () => {
    const [issue] = collectIssues(type, { labels: {}, shiping: null });
    expect(issue?.expected).toBe('no such field in record Order (did you mean shipping?)');
  });

  it('finds nothing wrong with a valid value', () => {
    expect(collectIssues(type, { labels: { a: 1 }, shipping: null, lines: [], hash: null })).toEqual([]);
  });
});

describe('describeValue', () => {
  it.each([
    [undefined, 'undefined'],
    [null, 'null'],
    [42, '42'],
    [false, 'false'],
    [12n, '12n'],
    ['x'.repeat(80), `"${'x'.repeat(57)}..."`],
    [new Date(0), 'Date(1970-01-01T00:00:00.000Z)'],
    [new Date(Number.NaN), 'Invalid Date'],
    [[1, 2], 'array(2)'],
    [{ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }, 'object {a, b, c, d, e, ...}'],
  ])('%s → %s', (value, text) => {
    expect(describeValue(value)).toBe(text);
  });
});
