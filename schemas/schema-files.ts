import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AvroRecordSchema } from './avro-schema.ts';
import { buildAvroType } from './avro-types.ts';
import type { EventSchemaSource } from './codegen.ts';

const segment = /^[a-z][a-z0-9_]*$/;

/** Directory of the `.avsc` files: `schemas/avro/<aggregate>/<event>.avsc`. */
export const avroDir = join(import.meta.dirname, 'avro');

/**
 * Reads every `<aggregate>/<event>.avsc` under `dir`, sorted by event type
 * (`<aggregate>.<event>`), and checks each is a record avsc can build with Outstream's
 * logical types. Throws naming the file on a misplaced file, bad JSON or a bad schema.
 */
export function loadSchemaFiles(dir: string = avroDir): EventSchemaSource[] {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.avsc'))
    .map((f) => f.replaceAll('\\', '/'))
    .sort();
  return files.map((file) => {
    const parts = file.slice(0, -'.avsc'.length).split('/');
    if (parts.length !== 2 || !parts.every((p) => segment.test(p))) {
      throw new Error(`${file}: schemas live at <aggregate>/<event>.avsc, lower_snake_case`);
    }
    const eventType = parts.join('.');
    let schema: AvroRecordSchema;
    try {
      schema = JSON.parse(readFileSync(join(dir, file), 'utf8')) as AvroRecordSchema;
      if (schema.type !== 'record') throw new Error('the top-level schema must be a record');
      buildAvroType(schema);
    } catch (err) {
      throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return { eventType, schema };
  });
}
