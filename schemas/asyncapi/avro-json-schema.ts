import type { AvroRecordSchema, AvroSchema } from '../avro-schema.ts';
import { fullNameOf } from '../avro-schema.ts';

/** A JSON Schema (draft 07, AsyncAPI's default schema format) as plain data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

const primitives: Readonly<Record<string, JsonSchema>> = {
  null: { type: 'null' },
  boolean: { type: 'boolean' },
  int: { type: 'integer', minimum: -(2 ** 31), maximum: 2 ** 31 - 1 },
  long: { type: 'integer' },
  float: { type: 'number' },
  double: { type: 'number' },
  string: { type: 'string' },
  // Undecoded bytes are a Buffer, which JSON.stringify renders as {type: 'Buffer', data: [...]}.
  bytes: {
    type: 'object',
    required: ['type', 'data'],
    properties: {
      type: { const: 'Buffer' },
      data: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 255 } },
    },
  },
};

/**
 * JSON Schema of an Avro-typed value as Outstream decodes it and `JSON.stringify` renders it:
 * what the SSE gateway sends as `payload` (the client's `Wire<Events[K]>`). The logical types
 * Outstream maps (`schemas/avro-types.ts`) appear as their decoded form: `timestamp-millis` is
 * ISO-8601 text (a `Date`), `decimal` exact text with `scale` fraction digits, `uuid` text.
 * Every field is required: the decoder fills defaults. Unions are `anyOf` their branches
 * (`wrapUnions: 'never'`, as the codec reads them).
 *
 * @throws Error on a recursive record (its JSON Schema would need `$ref`s; no event uses one)
 *   or a reference to an undefined named type.
 * @example
 * wireSchemaOf({ type: 'long', logicalType: 'timestamp-millis' }); // { type: 'string', format: 'date-time' }
 */
export function wireSchemaOf(schema: AvroSchema): JsonSchema {
  return convert(schema, '', new Map());
}

/** Named types seen so far (full name → schema); `undefined` while a record is being converted. */
type Scope = Map<string, JsonSchema | undefined>;

function convert(schema: AvroSchema, namespace: string, scope: Scope): JsonSchema {
  if (typeof schema === 'string') return primitives[schema] ?? reference(schema, namespace, scope);
  if (Array.isArray(schema)) return { anyOf: schema.map((s: AvroSchema) => convert(s, namespace, scope)) };
  const complex = schema as Exclude<AvroSchema, string | readonly AvroSchema[]>;
  const logical = logicalSchema(complex);
  switch (complex.type) {
    case 'record':
    case 'error':
      return record(complex, namespace, scope);
    case 'enum': {
      const out = describe({ type: 'string', enum: [...complex.symbols] }, complex.doc);
      scope.set(fullNameOf(complex, namespace), out);
      return out;
    }
    case 'fixed': {
      const out = logical ?? primitives.bytes!;
      scope.set(fullNameOf(complex, namespace), out);
      return out;
    }
    case 'array':
      return { type: 'array', items: convert(complex.items, namespace, scope) };
    case 'map':
      return { type: 'object', additionalProperties: convert(complex.values, namespace, scope) };
    default: {
      const primitive = primitives[complex.type];
      if (primitive === undefined) throw new Error(`unknown Avro type ${JSON.stringify(complex.type)}`);
      return logical ?? primitive;
    }
  }
}

/** The decoded form of the logical types Outstream maps; undefined for any other (read as the underlying type). */
function logicalSchema(schema: {
  type: string;
  logicalType?: string;
  scale?: number;
}): JsonSchema | undefined {
  switch (`${schema.logicalType}/${schema.type}`) {
    case 'uuid/string':
      return { type: 'string', format: 'uuid' };
    case 'timestamp-millis/long':
      return { type: 'string', format: 'date-time' };
    case 'decimal/bytes':
    case 'decimal/fixed': {
      const scale = schema.scale ?? 0;
      return { type: 'string', pattern: scale === 0 ? '^-?\\d+$' : `^-?\\d+\\.\\d{${scale}}$` };
    }
    default:
      return undefined;
  }
}

function record(schema: AvroRecordSchema, namespace: string, scope: Scope): JsonSchema {
  const fullName = fullNameOf(schema, namespace);
  const inner = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : '';
  scope.set(fullName, undefined);
  const properties = Object.fromEntries(
    schema.fields.map((f) => [f.name, describe(convert(f.type, inner, scope), f.doc)]),
  );
  // No `additionalProperties: false`: schemas evolve by adding fields, which older readers ignore.
  const out: JsonSchema = {
    type: 'object',
    title: fullName,
    ...(schema.doc === undefined ? {} : { description: schema.doc }),
    required: schema.fields.map((f) => f.name),
    properties,
  };
  scope.set(fullName, out);
  return out;
}

function reference(name: string, namespace: string, scope: Scope): JsonSchema {
  const candidates = name.includes('.') || !namespace ? [name] : [`${namespace}.${name}`, name];
  for (const candidate of candidates) {
    if (!scope.has(candidate)) continue;
    const found = scope.get(candidate);
    if (found === undefined) throw new Error(`recursive Avro record ${candidate} is not supported`);
    return found;
  }
  throw new Error(`unknown Avro type ${JSON.stringify(name)}`);
}

function describe(schema: JsonSchema, doc: string | undefined): JsonSchema {
  return doc === undefined ? schema : { ...schema, description: doc };
}
