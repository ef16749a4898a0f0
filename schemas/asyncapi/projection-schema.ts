import type { JsonSchema } from './avro-json-schema.ts';

/** A projection's schema and the payload paths it leaves out. */
export interface ProjectedSchema {
  schema: JsonSchema;
  /** Dotted paths of the full payload that the projection drops, e.g. `guest.email`. */
  omitted: string[];
}

/**
 * The JSON Schema of what a channel projection returns, read off one projected value: the full
 * payload's schema cut down to the keys the projection kept, recursively into nested objects
 * (a projection is a function, so its output is the only place its shape can be read). A key
 * the full payload does not have (computed by the projection) is described as any value.
 *
 * Reading one value cannot see a key that a projection adds only for some payloads: projections
 * keep or drop fields whatever their values, as every route in `realtime/channels.ts` does.
 *
 * @example
 * projectSchema(bookingSchema, staffView(sample)).omitted; // ['guest.email']
 */
export function projectSchema(full: JsonSchema, projected: unknown): ProjectedSchema {
  const omitted: string[] = [];
  const schema = cut(full, projected, '', omitted);
  return { schema, omitted: [...new Set(omitted)] };
}

function cut(full: JsonSchema, value: unknown, path: string, omitted: string[]): JsonSchema {
  if (!isPlainObject(value)) return full;
  if (Array.isArray(full.anyOf)) {
    // A nullable record: cut its object branch.
    return { ...full, anyOf: full.anyOf.map((branch: JsonSchema) => cut(branch, value, path, omitted)) };
  }
  const properties = full.properties as Record<string, JsonSchema> | undefined;
  if (properties === undefined) return full;
  // The payload's field order, then any key the projection computed.
  const present = Object.keys(value);
  const kept = [
    ...Object.keys(properties).filter((k) => present.includes(k)),
    ...present.filter((k) => !(k in properties)),
  ];
  for (const key of Object.keys(properties)) {
    if (!present.includes(key)) omitted.push(`${path}${key}`);
  }
  const required = new Set((full.required as string[] | undefined) ?? []);
  return {
    ...full,
    required: kept.filter((k) => required.has(k) || !(k in properties)),
    properties: Object.fromEntries(
      kept.map((k) => {
        const inner = properties[k];
        const computed = { description: 'Computed by the channel projection.' };
        return [k, inner === undefined ? computed : cut(inner, value[k], `${path}${k}.`, omitted)];
      }),
    ),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
