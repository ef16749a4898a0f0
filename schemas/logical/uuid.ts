import type { Schema, Type } from 'avsc';
import avsc from 'avsc';

const uuidText = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Avro `uuid` (on `string`) as a JS string. Write accepts any RFC 9562 textual UUID
 * (any version, e.g. v4 or v7, either case) and writes it lower-cased, so readers can
 * compare ids as strings; anything else is rejected.
 */
export class UuidType extends avsc.types.LogicalType {
  constructor(schema: Schema, opts?: unknown) {
    super(schema, opts);
    if (!avsc.Type.isType(this.underlyingType, 'string')) {
      throw new Error(`uuid: must annotate string, not ${this.underlyingType.typeName}`);
    }
  }

  protected override _fromValue(text: string): string {
    return text;
  }

  protected override _toValue(value: unknown): string | undefined {
    return typeof value === 'string' && uuidText.test(value) ? value.toLowerCase() : undefined;
  }

  protected override _resolve(writer: Type): ((value: string) => string) | undefined {
    return writer instanceof UuidType || avsc.Type.isType(writer, 'string') ? (text) => text : undefined;
  }
}
