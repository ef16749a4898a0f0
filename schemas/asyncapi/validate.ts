import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';
import { Parser } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { avroSchemaFormat } from './refs.ts';

/** One finding about the document. */
export interface Finding {
  /** `error` and `warning` as the AsyncAPI parser grades them; `info` and `hint` are advice. */
  severity: 'error' | 'warning' | 'info' | 'hint';
  /** The parser's rule, or `avro-schema` / `message-example` for the checks added here. */
  code: string;
  message: string;
  /** Where in the document, dotted. */
  path: string;
}

const severities = ['error', 'warning', 'info', 'hint'] as const;

/**
 * Validates an AsyncAPI document (YAML or JSON text) with the official `@asyncapi/parser`, its
 * Avro schemas with the official `@asyncapi/avro-schema-parser`, and every message example
 * against its message's schemas. The last two are checks the parser runs for AsyncAPI 2 but not
 * for 3 (its v3 ruleset has no schema or example rules; asyncapi/cli#1813), done here with the
 * same Avro parser and with ajv. Dev-only: tests use it, the generator does not.
 */
export async function validateDocument(text: string): Promise<Finding[]> {
  const parser = new Parser();
  parser.registerSchemaParser(AvroSchemaParser());
  const { diagnostics } = await parser.parse(text);
  const findings: Finding[] = diagnostics.map((d) => ({
    severity: severities[d.severity] ?? 'error',
    code: String(d.code),
    message: d.message,
    path: d.path.join('.'),
  }));
  const raw = parse(text) as RawDocument;
  findings.push(...(await avroFindings(parser, raw)), ...exampleFindings(raw));
  return findings;
}

interface RawDocument {
  asyncapi: string;
  components?: {
    schemas?: Record<string, { schemaFormat?: string; schema?: unknown }>;
    messages?: Record<string, RawMessage>;
  };
}

interface RawMessage {
  payload?: unknown;
  headers?: unknown;
  examples?: { name?: string; payload?: unknown; headers?: unknown }[];
}

async function avroFindings(parser: Parser, raw: RawDocument): Promise<Finding[]> {
  const avro = parser.parserRegistry.get(avroSchemaFormat);
  if (!avro) throw new Error(`no schema parser registered for ${avroSchemaFormat}`);
  const findings: Finding[] = [];
  for (const [name, entry] of Object.entries(raw.components?.schemas ?? {})) {
    if (entry.schemaFormat === undefined || !parser.parserRegistry.has(entry.schemaFormat)) continue;
    const path = ['components', 'schemas', name, 'schema'];
    const errors = await avro.validate({
      asyncapi: { semver: { version: raw.asyncapi } } as never,
      data: entry.schema,
      meta: {},
      path,
      schemaFormat: entry.schemaFormat,
      defaultSchemaFormat: `application/vnd.aai.asyncapi;version=${raw.asyncapi}`,
    });
    for (const e of errors ?? []) {
      findings.push({ severity: 'error', code: 'avro-schema', message: e.message, path: path.join('.') });
    }
  }
  return findings;
}

function exampleFindings(raw: RawDocument): Finding[] {
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
  addFormats.default(ajv);
  const findings: Finding[] = [];
  for (const [name, message] of Object.entries(raw.components?.messages ?? {})) {
    for (const [i, example] of (message.examples ?? []).entries()) {
      for (const part of ['payload', 'headers'] as const) {
        const schema = message[part];
        // A `$ref` payload is an Avro schema: its examples would be Avro JSON, not checked here.
        if (example[part] === undefined || !isJsonSchema(schema)) continue;
        const validate = ajv.compile(schema);
        if (validate(example[part])) continue;
        for (const e of validate.errors ?? []) {
          findings.push({
            severity: 'error',
            code: 'message-example',
            message: `${part}${e.instancePath} ${e.message ?? 'is invalid'}`,
            path: `components.messages.${name}.examples.${i}.${part}`,
          });
        }
      }
    }
  }
  return findings;
}

function isJsonSchema(schema: unknown): schema is object {
  return typeof schema === 'object' && schema !== null && !('$ref' in schema) && !('schemaFormat' in schema);
}
