import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syncDocument } from './main.ts';

const dir = mkdtempSync(join(tmpdir(), 'asyncapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recorder() {
  const lines: string[] = [];
  return { lines, out: { log: (l: string) => lines.push(l), error: (l: string) => lines.push(`ERR ${l}`) } };
}

describe('syncDocument (npm run asyncapi / asyncapi:check)', () => {
  it('with --check, fails on a missing or stale file and writes nothing', () => {
    const path = join(dir, 'check.yaml');
    const missing = recorder();
    expect(syncDocument(path, 'next\n', true, missing.out)).toBe(1);
    expect(missing.lines[0]).toMatch(
      /^ERR .*check\.yaml is missing: .*Run `npm run asyncapi` and commit the result\.$/,
    );

    writeFileSync(path, 'old\n');
    const stale = recorder();
    expect(syncDocument(path, 'next\n', true, stale.out)).toBe(1);
    expect(stale.lines[0]).toMatch(/^ERR .*check\.yaml is stale: /);
    expect(readFileSync(path, 'utf8')).toBe('old\n');
  });

  it('writes a stale file, then finds it up to date', () => {
    const path = join(dir, 'write.yaml');
    writeFileSync(path, 'old\n');
    const write = recorder();
    expect(syncDocument(path, 'next\n', false, write.out)).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('next\n');
    expect(write.lines[0]).toMatch(/^wrote .*write\.yaml$/);

    const again = recorder();
    expect(syncDocument(path, 'next\n', true, again.out)).toBe(0);
    expect(again.lines[0]).toMatch(/write\.yaml is up to date$/);
  });
});
