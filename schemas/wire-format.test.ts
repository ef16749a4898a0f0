import { describe, expect, it } from 'vitest';
import { SchemaDecodeError } from '../core/errors.ts';
import { frame, unframe } from './wire-format.ts';

describe('frame', () => {
  it('prefixes magic byte 0 and the big-endian schema id', () => {
    expect(frame(258, Buffer.from([0xaa, 0xbb])).toString('hex')).toBe('0000000102aabb');
    expect(frame(0x7fffffff, new Uint8Array()).toString('hex')).toBe('007fffffff');
  });

  it.each([-1, 1.5, 2 ** 31, Number.NaN])('refuses schema id %d', (id) => {
    expect(() => frame(id, Buffer.alloc(0))).toThrow(RangeError);
  });
});

describe('unframe', () => {
  it('inverts frame, returning a view of the body', () => {
    const framed = frame(42, Buffer.from('avro'));
    const { schemaId, body } = unframe(framed);
    expect(schemaId).toBe(42);
    expect(body.toString()).toBe('avro');
    expect(body.buffer).toBe(framed.buffer);
  });

  it('accepts a header with an empty body', () => {
    expect(unframe(Buffer.from('0000000007', 'hex'))).toEqual({ schemaId: 7, body: Buffer.alloc(0) });
  });

  it('accepts a Uint8Array view', () => {
    const view = new Uint8Array([0xff, 0, 0, 0, 0, 9, 1]).subarray(1);
    expect(unframe(view).schemaId).toBe(9);
    expect([...unframe(view).body]).toEqual([1]);
  });

  it('rejects a buffer shorter than the header', () => {
    expect(() => unframe(Buffer.from([0, 0, 1]))).toThrow(SchemaDecodeError);
    expect(() => unframe(Buffer.from([0, 0, 1]))).toThrow(
      'not Confluent wire format: 3 bytes, need at least 5 (magic byte 0 and a 4-byte schema id)',
    );
  });

  it('rejects a wrong magic byte, and says when it looks like JSON', () => {
    expect(() => unframe(Buffer.from([1, 0, 0, 0, 1]))).toThrow('magic byte is 0x01, expected 0x00');
    expect(() => unframe(Buffer.from('{"bookingId":1}'))).toThrow(
      'magic byte is 0x7b, expected 0x00 (looks like JSON)',
    );
  });

  it('rejects a negative schema id', () => {
    expect(() => unframe(Buffer.from('00ffffffff', 'hex'))).toThrow(/negative schema id -1/);
  });
});
