import type { Type } from 'avsc';
import avsc from 'avsc';
import type { FieldIssue } from '../core/errors.ts';
import { DecimalType } from './logical/decimal.ts';
import { TimestampMillisType } from './logical/timestamp-millis.ts';
import { UuidType } from './logical/uuid.ts';

const { ArrayType, EnumType, FixedType, MapType, RecordType, UnwrappedUnionType, LogicalType } = avsc.types;

/**
 * Every way `value` fails to match `type`, each with its path from the root, what the
 * schema expects there and what was given. Fields the schema does not declare are
 * issues too (a typo such as `guest.emial` must not vanish silently); keys whose value
 * is `undefined` are ignored, since they carry nothing.
 *
 * @example
 * collectIssues(type, { ...payload, totalAmount: 120.5 });
 * // [{ path: 'totalAmount', expected: 'decimal(12,2) as a string, e.g. "1234.50"', received: '120.5' }]
 */
export function collectIssues(type: Type, value: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  type.isValid(value, {
    errorHook: (segments, received, expectedType) => {
      issues.push({
        path: formatPath(type, value, segments),
        expected: describeType(expectedType),
        received: describeValue(received),
      });
    },
  });
  collectUndeclared(type, value, '', issues);
  return issues;
}

/** Human-readable expectation for a type, e.g. `enum BookingStatus (PENDING|CONFIRMED)`. */
export function describeType(type: Type): string {
  if (type instanceof DecimalType) {
    const example = `1234${type.scale > 0 ? `.${'5'.padEnd(type.scale, '0')}` : ''}`;
    return `decimal(${type.precision},${type.scale}) as a string, e.g. "${example}"`;
  }
  if (type instanceof TimestampMillisType) return 'timestamp-millis (Date)';
  if (type instanceof UuidType) return 'uuid (string)';
  if (type instanceof LogicalType) return describeType(type.underlyingType);
  if (type instanceof RecordType) return `record ${shortName(type)}`;
  if (type instanceof EnumType) return `enum ${shortName(type)} (${type.symbols.join('|')})`;
  if (type instanceof FixedType) return `fixed ${shortName(type)} (Buffer of ${type.size} bytes)`;
  if (type instanceof ArrayType) return `array of ${describeType(type.itemsType)}`;
  if (type instanceof MapType) return `map of ${describeType(type.valuesType)}`;
  if (type instanceof UnwrappedUnionType) {
    // Null last, as in the generated TypeScript (`string | null`).
    const branches = type.types.map(describeType);
    return [...branches.filter((b) => b !== 'null'), ...branches.filter((b) => b === 'null')].join(' | ');
  }
  switch (type.typeName) {
    case 'int':
      return 'int (32-bit integer)';
    case 'long':
      return 'long (safe integer)';
    case 'bytes':
      return 'bytes (Buffer)';
    default:
      return type.typeName;
  }
}

/** Short rendering of a given value for an error message: `42`, `"abc"`, `Date(…)`, `array(3)`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object') return String(value);
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? 'Invalid Date' : `Date(${value.toISOString()})`;
  if (value instanceof Uint8Array) return `Buffer(${value.length} bytes)`;
  if (Array.isArray(value)) return `array(${value.length})`;
  const keys = Object.keys(value);
  return `object {${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', ...' : ''}}`;
}

/** Turns avsc's path segments into `guest.email`, `attachments[0].url` or `labels["vip"]`. */
function formatPath(root: Type, rootValue: unknown, segments: readonly string[]): string {
  let type: Type | undefined = root;
  let value = rootValue;
  let path = '';
  for (const segment of segments) {
    type = type && branchFor(type, value);
    if (type instanceof ArrayType) {
      path += `[${segment}]`;
      type = type.itemsType;
    } else if (type instanceof MapType) {
      path += `[${JSON.stringify(segment)}]`;
      type = type.valuesType;
    } else {
      path += path ? `.${segment}` : segment;
      type = type instanceof RecordType ? type.field(segment)?.type : undefined;
    }
    value = isObject(value) ? (value as Record<string, unknown>)[segment] : undefined;
  }
  return path;
}

function collectUndeclared(type: Type, value: unknown, path: string, issues: FieldIssue[]): void {
  const branch = branchFor(type, value);
  if (branch instanceof RecordType && isFieldBag(value)) {
    const record = value;
    const declared = branch.fields.map((f) => f.name);
    for (const key of Object.keys(record)) {
      if (declared.includes(key) || record[key] === undefined) continue;
      issues.push({
        path: path ? `${path}.${key}` : key,
        expected: `no such field in record ${shortName(branch)} (${suggest(key, declared)})`,
        received: describeValue(record[key]),
      });
    }
    for (const field of branch.fields) {
      collectUndeclared(field.type, record[field.name], path ? `${path}.${field.name}` : field.name, issues);
    }
  } else if (branch instanceof ArrayType && Array.isArray(value)) {
    value.forEach((item, i) => {
      collectUndeclared(branch.itemsType, item, `${path}[${i}]`, issues);
    });
  } else if (branch instanceof MapType && isFieldBag(value)) {
    for (const [key, item] of Object.entries(value)) {
      collectUndeclared(branch.valuesType, item, `${path}[${JSON.stringify(key)}]`, issues);
    }
  }
}

// An unwrapped union holds at most one array branch and one record-or-map branch, so the
// value's shape picks the branch that path segments and nested fields belong to.
function branchFor(type: Type, value: unknown): Type | undefined {
  if (!(type instanceof UnwrappedUnionType)) return type;
  const wanted = Array.isArray(value) ? [ArrayType] : [RecordType, MapType];
  return type.types.find((t) => wanted.some((kind) => t instanceof kind));
}

// "did you mean …?" for a near miss (a typo or wrong case), else the fields there are.
function suggest(key: string, declared: readonly string[]): string {
  const ranked = declared
    .map((name) => ({ name, distance: editDistance(key.toLowerCase(), name.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance);
  const best = ranked[0];
  const near = best && best.distance <= (key.length <= 4 ? 1 : 2);
  return near ? `did you mean ${best.name}?` : `fields: ${declared.join(', ')}`;
}

// Edit distance counting a swap of two neighbours as one edit (emial → email is 1).
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => i + j),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

// Objects whose keys are fields or map entries: not arrays, buffers or dates.
function isFieldBag(value: unknown): value is Record<string, unknown> {
  return (
    isObject(value) && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof Date)
  );
}

function shortName(type: Type): string {
  return type.name?.slice(type.name.lastIndexOf('.') + 1) ?? type.typeName;
}
