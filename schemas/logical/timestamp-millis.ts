import type { Schema, Type } from 'avsc';
import avsc from 'avsc';

/**
 * Avro `timestamp-millis` (on `long`) as a JS `Date`. Only valid `Date`s are accepted
 * on write: a number or an ISO string is rejected so that a wrong value is caught
 * before it is committed rather than silently reinterpreted.
 */
export class TimestampMillisType extends avsc.types.LogicalType {
  constructor(schema: Schema, opts?: unknown) {
    super(schema, opts);
    if (!avsc.Type.isType(this.underlyingType, 'long')) {
      throw new Error(`timestamp-millis: must annotate long, not ${this.underlyingType.typeName}`);
    }
  }

  protected override _fromValue(millis: number): Date {
    return new Date(millis);
  }

  protected override _toValue(value: unknown): number | undefined {
    if (!(value instanceof Date)) return undefined;
    const millis = value.getTime();
    return Number.isNaN(millis) ? undefined : millis;
  }

  protected override _resolve(writer: Type): ((value: never) => Date) | undefined {
    if (writer instanceof TimestampMillisType) return (date: Date) => date;
    if (avsc.Type.isType(writer, 'long', 'int')) return (millis: number) => this._fromValue(millis);
    return undefined;
  }
}
