import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSchemaFiles } from './schema-files.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function tree(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'outstream-avro-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const record = (name: string, fields: unknown[] = []) => JSON.stringify({ type: 'record', name, fields });

describe('loadSchemaFiles', () => {
  it('names each event type after its path, sorted', () => {
    const events = loadSchemaFiles(
      tree({ 'room/b.avsc': record('B'), 'room/a.avsc': record('A'), 'README.md': '' }),
    );
    expect(events.map((e) => e.eventType)).toEqual(['room.a', 'room.b']);
  });

  it('reads the repository schemas', () => {
    expect(loadSchemaFiles()).toHaveLength(22);
  });

  it.each([
    [{ 'booking.avsc': record('A') }, 'booking.avsc: schemas live at <aggregate>/<event>.avsc'],
    [{ 'booking/Created.avsc': record('A') }, 'booking/Created.avsc: schemas live at'],
    [{ 'booking/created.avsc': '{ "type": ' }, 'booking/created.avsc: Unexpected end of JSON'],
    [{ 'booking/created.avsc': '"string"' }, 'booking/created.avsc: the top-level schema must be a record'],
    [
      {
        'booking/created.avsc': record('A', [{ name: 'x', type: { type: 'bytes', logicalType: 'decimal' } }]),
      },
      'booking/created.avsc: decimal: precision must be a positive integer',
    ],
  ])('names the file at fault: %j', (files, message) => {
    expect(() => loadSchemaFiles(tree(files))).toThrow(message);
  });
});
