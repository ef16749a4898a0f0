import type { Schema, Type } from 'avsc';
import avsc from 'avsc';
import type { AvroSchema } from './avro-schema.ts';
import { DecimalType } from './logical/decimal.ts';
import { TimestampMillisType } from './logical/timestamp-millis.ts';
import { UuidType } from './logical/uuid.ts';

/**
 * The logical types Outstream maps to JS values: `timestamp-millis` ↔ `Date`,
 * `decimal` ↔ exact decimal string (`"120.50"`), `uuid` ↔ validated string. Other
 * logical types (e.g. `date`) read and write as their underlying Avro type.
 */
export const logicalTypes = {
  'timestamp-millis': TimestampMillisType,
  decimal: DecimalType,
  uuid: UuidType,
} as const;

/**
 * Builds the avsc `Type` of a schema with Outstream's logical types. Unions are always
 * unwrapped (`X | null`, never `{ string: X }`), so an ambiguous union such as two
 * records is rejected here instead of decoding to a shape the generated types do not
 * describe. A malformed logical type (e.g. `decimal` without precision) throws too.
 *
 * @example
 * const type = buildAvroType({ type: 'long', logicalType: 'timestamp-millis' });
 * type.fromBuffer(type.toBuffer(new Date(0))); // Date(1970-01-01T00:00:00.000Z)
 */
export function buildAvroType(schema: AvroSchema): Type {
  return avsc.Type.forSchema(schema as Schema, {
    logicalTypes,
    assertLogicalTypes: true,
    wrapUnions: 'never',
    omitRecordMethods: true,
  });
}
