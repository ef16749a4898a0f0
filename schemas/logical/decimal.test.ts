import { describe, expect, it } from 'vitest';
import { buildAvroType } from '../avro-types.ts';
import { formatDecimal, fromTwosComplement, parseDecimal, toTwosComplement } from './decimal.ts';

const money = buildAvroType({ type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 });
const roundTrip = (text: string) => money.fromBuffer(money.toBuffer(text));

describe('parseDecimal', () => {
  it('pads to the scale: "5", "5.0" and "5.00" are the same amount', () => {
    expect(parseDecimal('5', 12, 2)).toBe(500n);
    expect(parseDecimal('5.0', 12, 2)).toBe(500n);
    expect(parseDecimal('5.00', 12, 2)).toBe(500n);
  });

  it('reads negatives and zero', () => {
    expect(parseDecimal('-0.01', 12, 2)).toBe(-1n);
    expect(parseDecimal('-361.50', 12, 2)).toBe(-36150n);
    expect(parseDecimal('0', 12, 2)).toBe(0n);
    expect(parseDecimal('-0.00', 12, 2)).toBe(0n);
  });

  it('rejects more fraction digits than the scale, even zeros', () => {
    expect(parseDecimal('5.001', 12, 2)).toBeUndefined();
    expect(parseDecimal('5.000', 12, 2)).toBeUndefined();
  });

  it('enforces the precision: 10 integer digits fit decimal(12,2), 11 do not', () => {
    expect(parseDecimal('9999999999.99', 12, 2)).toBe(999999999999n);
    expect(parseDecimal('-9999999999.99', 12, 2)).toBe(-999999999999n);
    expect(parseDecimal('10000000000', 12, 2)).toBeUndefined();
    expect(parseDecimal('000000000001.50', 12, 2)).toBe(150n);
  });

  it.each(['', '.5', '5.', '+5', ' 5', '5 ', '1e3', '1,50', '0x10', 'NaN', '--1', '١٢'])(
    'rejects %j',
    (text) => {
      expect(parseDecimal(text, 12, 2)).toBeUndefined();
    },
  );
});

describe('formatDecimal', () => {
  it('writes exactly `scale` fraction digits', () => {
    expect(formatDecimal(500n, 2)).toBe('5.00');
    expect(formatDecimal(-5n, 2)).toBe('-0.05');
    expect(formatDecimal(0n, 2)).toBe('0.00');
    expect(formatDecimal(-100n, 2)).toBe('-1.00');
    expect(formatDecimal(123n, 0)).toBe('123');
    expect(formatDecimal(999999999999n, 2)).toBe('9999999999.99');
  });
});

describe('two’s complement', () => {
  it.each([
    [0n, '00'],
    [1n, '01'],
    [-1n, 'ff'],
    [127n, '7f'],
    [128n, '0080'],
    [-128n, '80'],
    [-129n, 'ff7f'],
    [255n, '00ff'],
    [36150n, '008d36'],
    [-36150n, 'ff72ca'],
  ])('%d ↔ %s, in as few bytes as hold it', (value, hex) => {
    expect(toTwosComplement(value).toString('hex')).toBe(hex);
    expect(fromTwosComplement(Buffer.from(hex, 'hex'))).toBe(value);
  });

  it('round-trips large values and reads no bytes as zero', () => {
    for (const value of [999999999999n, -999999999999n, 2n ** 63n, -(2n ** 63n) - 1n]) {
      expect(fromTwosComplement(toTwosComplement(value))).toBe(value);
    }
    expect(fromTwosComplement(new Uint8Array())).toBe(0n);
  });
});

describe('DecimalType', () => {
  it('encodes the unscaled value as Avro bytes, as Java BigDecimal does', () => {
    // 1.28 → unscaled 128 → 0x00 0x80, after the zig-zag length prefix 2 → 0x04.
    expect(money.toBuffer('1.28').toString('hex')).toBe('040080');
  });

  it('decodes to canonical text', () => {
    expect(roundTrip('5')).toBe('5.00');
    expect(roundTrip('5.5')).toBe('5.50');
    expect(roundTrip('0')).toBe('0.00');
    expect(roundTrip('-0')).toBe('0.00');
    expect(roundTrip('-361.50')).toBe('-361.50');
    expect(roundTrip('9999999999.99')).toBe('9999999999.99');
  });

  it('rejects floats, bad text and values beyond precision or scale', () => {
    for (const bad of [5, 5.5, '5.001', '10000000000.00', 'abc', null, undefined, 500n]) {
      expect(money.isValid(bad)).toBe(false);
    }
  });

  it('works on fixed, sign-extending to the fixed size', () => {
    const fixed = buildAvroType({
      type: 'fixed',
      name: 'Amount',
      size: 4,
      logicalType: 'decimal',
      precision: 9,
      scale: 2,
    });
    expect(fixed.toBuffer('-1.28').toString('hex')).toBe('ffffff80');
    expect(fixed.fromBuffer(fixed.toBuffer('-1.28'))).toBe('-1.28');
    expect(fixed.fromBuffer(fixed.toBuffer('9999999.99'))).toBe('9999999.99');
  });

  it('rejects malformed decimal schemas instead of falling back to bytes', () => {
    expect(() => buildAvroType({ type: 'bytes', logicalType: 'decimal' })).toThrow(/precision/);
    expect(() => buildAvroType({ type: 'bytes', logicalType: 'decimal', precision: 2, scale: 3 })).toThrow(
      /scale/,
    );
    expect(() => buildAvroType({ type: 'string', logicalType: 'decimal', precision: 4, scale: 2 })).toThrow(
      /bytes or fixed/,
    );
  });

  it('resolves a writer decimal only with the same precision and scale', () => {
    const writer = buildAvroType({ type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 });
    expect(money.fromBuffer(writer.toBuffer('7.5'), money.createResolver(writer))).toBe('7.50');
    const other = buildAvroType({ type: 'bytes', logicalType: 'decimal', precision: 12, scale: 3 });
    expect(() => money.createResolver(other)).toThrow(/cannot read/);
    const bytes = buildAvroType('bytes');
    expect(money.fromBuffer(bytes.toBuffer(Buffer.from([0x00, 0x80])), money.createResolver(bytes))).toBe(
      '1.28',
    );
  });
});
