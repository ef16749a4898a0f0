import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as generated from './generated/events.ts';
import * as schemas from './index.ts';

const read = (file: string) => readFileSync(join(import.meta.dirname, file), 'utf8');

describe('schemas/index.ts', () => {
  it('re-exports every value of the generated module', () => {
    for (const name of Object.keys(generated)) expect(schemas).toHaveProperty(name);
  });

  it('re-exports every type of the generated module (add new payload types to index.ts)', () => {
    const index = read('index.ts');
    const names = [...read('generated/events.ts').matchAll(/^export (?:interface|type) (\w+)/gm)].map(
      (m) => m[1],
    );
    const missing = names.filter((name) => !new RegExp(`^\\s+${name},$`, 'm').test(index));
    expect(missing).toEqual([]);
  });
});
