import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedPath, renderGenerated } from './generate.ts';

describe('schemas/generated/events.ts', () => {
  it('matches schemas/avro (else run `npm run schemas:generate`)', () => {
    expect(readFileSync(generatedPath, 'utf8')).toBe(renderGenerated());
  });
});
