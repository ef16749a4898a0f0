/**
 * The JSON shape of an Avro schema (`.avsc`), as far as Outstream reads it: enough for
 * the catalogue and the code generator to walk schemas without `any`.
 */

/** Attributes any complex schema may carry: a logical type and its parameters. */
export interface AvroLogicalAttributes {
  /** Logical type name, e.g. `timestamp-millis`, `decimal`, `uuid`. */
  readonly logicalType?: string;
  /** Total number of digits of a `decimal`. */
  readonly precision?: number;
  /** Digits after the decimal point of a `decimal`. */
  readonly scale?: number;
}

/** One field of a record schema. */
export interface AvroField {
  readonly name: string;
  readonly type: AvroSchema;
  readonly doc?: string;
  readonly default?: unknown;
  readonly order?: 'ascending' | 'descending' | 'ignore';
  readonly aliases?: readonly string[];
}

/** A named record (or error) schema. */
export interface AvroRecordSchema extends AvroLogicalAttributes {
  readonly type: 'record' | 'error';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly aliases?: readonly string[];
  readonly fields: readonly AvroField[];
}

/** A named enum schema. */
export interface AvroEnumSchema extends AvroLogicalAttributes {
  readonly type: 'enum';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly aliases?: readonly string[];
  readonly symbols: readonly string[];
  /** Symbol a reader uses for writer symbols it does not know. */
  readonly default?: string;
}

/** A named fixed-size bytes schema. */
export interface AvroFixedSchema extends AvroLogicalAttributes {
  readonly type: 'fixed';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly aliases?: readonly string[];
  readonly size: number;
}

/** An array schema. */
export interface AvroArraySchema extends AvroLogicalAttributes {
  readonly type: 'array';
  readonly items: AvroSchema;
}

/** A map schema (string keys). */
export interface AvroMapSchema extends AvroLogicalAttributes {
  readonly type: 'map';
  readonly values: AvroSchema;
}

/** A primitive written in object form, usually to attach a logical type. */
export interface AvroPrimitiveSchema extends AvroLogicalAttributes {
  readonly type: AvroPrimitiveName;
}

/** The eight Avro primitive type names. */
export type AvroPrimitiveName = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

/** Any Avro schema: a type name (primitive or reference to a named type), a union, or an object. */
export type AvroSchema =
  | string
  | readonly AvroSchema[]
  | AvroRecordSchema
  | AvroEnumSchema
  | AvroFixedSchema
  | AvroArraySchema
  | AvroMapSchema
  | AvroPrimitiveSchema;

/**
 * Fully qualified name of a named schema: `name` if it already contains a dot, else
 * `namespace.name` (or the enclosing namespace when the schema has none).
 *
 * @example
 * fullNameOf({ type: 'record', name: 'BookingCreated', namespace: 'outstream.booking', fields: [] })
 * // 'outstream.booking.BookingCreated'
 */
export function fullNameOf(schema: { name: string; namespace?: string }, enclosingNamespace = ''): string {
  if (schema.name.includes('.')) return schema.name;
  const namespace = schema.namespace ?? enclosingNamespace;
  return namespace ? `${namespace}.${schema.name}` : schema.name;
}

/**
 * The payload field holding the aggregate id (the record key), found by the convention every
 * `.avsc` follows: its `doc` says "(aggregate id". Undefined when no single field says so.
 *
 * @example
 * aggregateIdField(catalogue['booking.created'].schema); // 'bookingId'
 */
export function aggregateIdField(schema: AvroRecordSchema): string | undefined {
  const marked = schema.fields.filter((f) => /\(aggregate id\b/.test(f.doc ?? ''));
  return marked.length === 1 ? marked[0]!.name : undefined;
}
