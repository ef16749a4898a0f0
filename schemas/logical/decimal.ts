import type { Schema, Type } from 'avsc';
import avsc from 'avsc';
import type { AvroLogicalAttributes } from '../avro-schema.ts';

const decimalText = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * Parses the exact decimal text `text` into its unscaled integer for a
 * `decimal(precision, scale)`: `"120.5"` with scale 2 gives `12050n`. Returns undefined
 * when the text is not a plain decimal (no exponent, no `+`, no spaces), has more
 * fraction digits than `scale`, or more digits in all than `precision`.
 *
 * @example
 * parseDecimal('-5', 12, 2); // -500n
 * parseDecimal('5.001', 12, 2); // undefined
 */
export function parseDecimal(text: string, precision: number, scale: number): bigint | undefined {
  const match = decimalText.exec(text);
  if (!match) return undefined;
  const [, sign, whole = '', fraction = ''] = match;
  if (fraction.length > scale) return undefined;
  const magnitude = BigInt(whole + fraction.padEnd(scale, '0'));
  if (magnitude >= 10n ** BigInt(precision)) return undefined;
  return sign ? -magnitude : magnitude;
}

/**
 * Renders an unscaled integer as canonical decimal text with exactly `scale` fraction
 * digits: `formatDecimal(500n, 2)` is `"5.00"`, `formatDecimal(-5n, 2)` is `"-0.05"`.
 */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const cut = digits.length - scale;
  const text = scale === 0 ? digits : `${digits.slice(0, cut)}.${digits.slice(cut)}`;
  return negative ? `-${text}` : text;
}

/**
 * Two's-complement big-endian bytes of `value`, as few as can hold it (the Avro
 * `decimal` encoding of the unscaled value): `0n` → `00`, `-1n` → `ff`, `128n` → `00 80`.
 */
export function toTwosComplement(value: bigint): Buffer {
  let size = 1;
  while (value >= 1n << BigInt(8 * size - 1) || value < -(1n << BigInt(8 * size - 1))) size++;
  let rest = value < 0n ? (1n << BigInt(8 * size)) + value : value;
  const bytes = Buffer.alloc(size);
  for (let i = size - 1; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

/** Reads two's-complement big-endian bytes back into a bigint; no bytes read as `0n`. */
export function fromTwosComplement(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  const first = bytes[0];
  return first !== undefined && first & 0x80 ? value - (1n << BigInt(8 * bytes.length)) : value;
}

/** Widens two's-complement bytes to `size` bytes (for `fixed`), or undefined if they do not fit. */
function signExtend(bytes: Buffer, size: number): Buffer | undefined {
  if (bytes.length > size) return undefined;
  const fill = (bytes[0] ?? 0) & 0x80 ? 0xff : 0x00;
  return Buffer.concat([Buffer.alloc(size - bytes.length, fill), bytes]);
}

/**
 * Avro `decimal` (on `bytes` or `fixed`) as a JS string holding the exact decimal,
 * never a float. Accepts `"5"`, `"5.0"` and `"5.00"` for scale 2 and always decodes to
 * the canonical `"5.00"`; rejects text with more fraction digits than the scale or more
 * digits than the precision.
 */
export class DecimalType extends avsc.types.LogicalType {
  /** Total number of digits. */
  readonly precision: number;
  /** Digits after the decimal point. */
  readonly scale: number;
  /** Size of the underlying `fixed`, or undefined for `bytes`. */
  readonly size: number | undefined;

  constructor(schema: Schema, opts?: unknown) {
    super(schema, opts);
    const { precision, scale = 0 } = schema as AvroLogicalAttributes;
    if (precision === undefined || !Number.isInteger(precision) || precision < 1) {
      throw new Error(`decimal: precision must be a positive integer, got ${precision}`);
    }
    if (!Number.isInteger(scale) || scale < 0 || scale > precision) {
      throw new Error(`decimal: scale must be an integer from 0 to precision (${precision}), got ${scale}`);
    }
    const underlying = this.underlyingType;
    if (underlying instanceof avsc.types.FixedType) this.size = underlying.size;
    else if (underlying instanceof avsc.types.BytesType) this.size = undefined;
    else throw new Error(`decimal: must annotate bytes or fixed, not ${underlying.typeName}`);
    this.precision = precision;
    this.scale = scale;
  }

  protected override _fromValue(bytes: Buffer): string {
    return formatDecimal(fromTwosComplement(bytes), this.scale);
  }

  protected override _toValue(value: unknown): Buffer | undefined {
    if (typeof value !== 'string') return undefined;
    const unscaled = parseDecimal(value, this.precision, this.scale);
    if (unscaled === undefined) return undefined;
    const bytes = toTwosComplement(unscaled);
    return this.size === undefined ? bytes : signExtend(bytes, this.size);
  }

  // Avro schema resolution: decimals match only when precision and scale both match.
  protected override _resolve(writer: Type): ((value: never) => string) | undefined {
    if (writer instanceof DecimalType) {
      return writer.precision === this.precision && writer.scale === this.scale
        ? (text: string) => text
        : undefined;
    }
    if (avsc.Type.isType(writer, 'bytes', 'fixed')) return (bytes: Buffer) => this._fromValue(bytes);
    return undefined;
  }

  protected override _export(attributes: Schema): void {
    Object.assign(attributes, { precision: this.precision, scale: this.scale });
  }
}
