import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { AvroRecordSchema } from './avro-schema.ts';
import { generateEventsModule } from './codegen.ts';

const everything: AvroRecordSchema = {
  type: 'record',
  name: 'Everything',
  namespace: 'test.kitchen',
  doc: 'Every construct the generator maps.',
  fields: [
    { name: 'flag', type: 'boolean', doc: 'A boolean.' },
    { name: 'count', type: 'int' },
    { name: 'big', type: 'long' },
    { name: 'ratio', type: 'float' },
    { name: 'score', type: { type: 'double' } },
    { name: 'raw', type: 'bytes' },
    { name: 'label', type: 'string' },
    { name: 'nothing', type: 'null' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'day', type: { type: 'int', logicalType: 'date' }, doc: 'Not mapped: stays an int.' },
    { name: 'hash', type: { type: 'fixed', name: 'Md5', size: 16, doc: 'An MD5 digest.' } },
    {
      name: 'color',
      type: { type: 'enum', name: 'Color', doc: 'A colour.', symbols: ['RED', 'GREEN'], default: 'RED' },
    },
    { name: 'colorAgain', type: 'Color', doc: 'Short reference, resolved in the enclosing namespace.' },
    {
      name: 'inner',
      type: {
        type: 'record',
        name: 'Inner',
        namespace: 'test.other',
        fields: [{ name: 'shade', type: 'test.kitchen.Color' }],
      },
    },
    { name: 'innerAgain', type: 'test.other.Inner' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'maybeTags', type: { type: 'array', items: ['null', 'string'] } },
    { name: 'counts', type: { type: 'map', values: 'long' } },
    {
      name: 'note',
      type: ['null', 'string'],
      default: null,
      doc: 'Optional text.\nSecond line with */ inside.',
    },
    { name: 'either', type: ['null', 'string', 'long'], default: null },
    { name: 'when', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null },
    { name: 'next', type: ['null', 'Everything'], default: null },
  ],
};

const output = generateEventsModule([{ eventType: 'kitchen.everything', schema: everything }]);

describe('generateEventsModule', () => {
  it('maps every construct to the type the decoder returns', () => {
    const body = output.slice(output.indexOf('export interface Everything {'), output.indexOf('}\n') + 1);
    expect(body).toBe(
      [
        'export interface Everything {',
        '  /** A boolean. */',
        '  flag: boolean;',
        '  count: number;',
        '  big: number;',
        '  ratio: number;',
        '  score: number;',
        '  raw: Buffer;',
        '  label: string;',
        '  nothing: null;',
        '  at: Date;',
        '  price: string;',
        '  id: string;',
        '  /** Not mapped: stays an int. */',
        '  day: number;',
        '  hash: Md5;',
        '  color: Color;',
        '  /** Short reference, resolved in the enclosing namespace. */',
        '  colorAgain: Color;',
        '  inner: Inner;',
        '  innerAgain: Inner;',
        '  tags: string[];',
        '  maybeTags: (string | null)[];',
        '  counts: Record<string, number>;',
        '  /**',
        '   * Optional text.',
        '   * Second line with *\\/ inside.',
        '   * @default null',
        '   */',
        '  note: string | null;',
        '  /** @default null */',
        '  either: string | number | null;',
        '  /** @default null */',
        '  when: Date | null;',
        '  /** @default null */',
        '  next: Everything | null;',
        '}',
      ].join('\n'),
    );
  });

  it('documents records with their doc and full name', () => {
    expect(output).toContain(
      '/**\n * Every construct the generator maps.\n *\n * Avro record `test.kitchen.Everything`.\n */\nexport interface Everything {',
    );
    expect(output).toContain(
      '/** Avro record `test.other.Inner`. */\nexport interface Inner {\n  shade: Color;\n}',
    );
  });

  it('emits an enum as a literal union plus an as-const object of its symbols', () => {
    expect(output).toContain(
      [
        '/**',
        ' * A colour.',
        ' *',
        ' * Avro enum `test.kitchen.Color`. Unknown symbols read as `RED`.',
        ' */',
        "export type Color = 'RED' | 'GREEN';",
        '/** The symbols of {@link Color}, to compare without string literals. */',
        "export const Color = {\n  RED: 'RED',\n  GREEN: 'GREEN',\n} as const;",
      ].join('\n'),
    );
  });

  it('emits fixed as a Buffer alias', () => {
    expect(output).toContain('export type Md5 = Buffer;');
  });

  it('emits the event map, the event type union and the schemas', () => {
    expect(output).toContain(
      "export type Events = {\n  /** Every construct the generator maps. */\n  'kitchen.everything': Everything;\n};",
    );
    expect(output).toContain('export type EventType = keyof Events;');
    expect(output).toContain(
      'export const eventSchemas: { readonly [K in EventType]: AvroRecordSchema } = {',
    );
  });

  it('produces a module that type-checks and embeds the schema unchanged', () => {
    expect(typeErrors(output)).toEqual([]);
    expect(typeErrors(output.replace('flag: boolean', 'flag: Boolen'))).toEqual([
      "Cannot find name 'Boolen'. Did you mean 'Boolean'?",
    ]);
    const start = output.indexOf("'kitchen.everything': {") + "'kitchen.everything': ".length;
    const json = output.slice(start, output.lastIndexOf('\n  },') + '\n  }'.length);
    expect(JSON.parse(json)).toEqual(everything);
  });

  it('emits a named type shared by several schemas once', () => {
    const shared = { type: 'enum' as const, name: 'Level', symbols: ['LOW', 'HIGH'] };
    const a = record('test.A', [{ name: 'level', type: shared }]);
    const b = record('test.B', [
      { name: 'level', type: { symbols: ['LOW', 'HIGH'], name: 'Level', type: 'enum' } },
    ]);
    const text = generateEventsModule([
      { eventType: 'x.a', schema: a },
      { eventType: 'x.b', schema: b },
    ]);
    expect(text.match(/export type Level =/g)).toHaveLength(1);
  });

  it('refuses two different types under one TypeScript name', () => {
    const level = (symbols: string[]) => ({ type: 'enum' as const, name: 'Level', symbols });
    expect(() =>
      generateEventsModule([
        { eventType: 'x.a', schema: record('test.A', [{ name: 'level', type: level(['LOW']) }]) },
        { eventType: 'x.b', schema: record('test.B', [{ name: 'level', type: level(['LOW', 'HIGH']) }]) },
      ]),
    ).toThrow(
      'codegen: test.Level is defined differently in two schemas; both would be the TypeScript type Level',
    );
    expect(() =>
      generateEventsModule([
        { eventType: 'x.a', schema: record('one.Thing', []) },
        { eventType: 'x.b', schema: record('two.Thing', []) },
      ]),
    ).toThrow('codegen: two.Thing clashes with one.Thing');
  });

  it('refuses unknown references, generated names and non-record roots', () => {
    expect(() =>
      generateEventsModule([
        { eventType: 'x.a', schema: record('test.A', [{ name: 'f', type: 'Missing' }]) },
      ]),
    ).toThrow('unknown type reference "Missing"');
    expect(() => generateEventsModule([{ eventType: 'x.a', schema: record('test.Events', []) }])).toThrow(
      'clashes with a generated name',
    );
    const notRecord = { type: 'enum', name: 'E', symbols: ['A'] } as unknown as AvroRecordSchema;
    expect(() => generateEventsModule([{ eventType: 'x.a', schema: notRecord }])).toThrow('must be a record');
  });
});

function record(fullName: string, fields: AvroRecordSchema['fields']): AvroRecordSchema {
  return { type: 'record', name: fullName, fields };
}

// Type-checks `source` as if it were schemas/generated/<file>.ts, with the repo's settings.
function typeErrors(source: string): string[] {
  const fileName = join(import.meta.dirname, 'generated', 'codegen-test-output.ts');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2024,
    lib: ['lib.es2024.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => f === fileName || fileExists(f);
  host.readFile = (f) => (f === fileName ? source : readFile(f));
  host.getSourceFile = (f, ...rest) =>
    f === fileName ? ts.createSourceFile(f, source, ts.ScriptTarget.ES2024) : getSourceFile(f, ...rest);
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}
