import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { ErrorCode, isOutstreamError, type StackError } from '../../core/errors.ts';
import { stackStatus, stackUp } from './stack.ts';

const config = loadConfig(process.env);

describe('the local stack', () => {
  it('is idempotent: a second up reuses every running component', async () => {
    const outcomes = await stackUp(config);
    for (const outcome of Object.values(outcomes)) expect(['reused', 'external']).toContain(outcome);
    const status = await stackStatus(config);
    expect(status.every((s) => s.healthy)).toBe(true);
    expect(status.filter((s) => s.managed === 'local').every((s) => s.pid !== undefined)).toBe(true);
  });

  it('refuses to start over a port that a process it did not start answers on, naming the component', async () => {
    // Another state directory: from its point of view, the running stack is someone else's.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'outstream-stack-'));
    try {
      const error = await stackUp(loadConfig({ ...process.env, OUTSTREAM_STACK_DIR: dir })).then(
        () => undefined,
        (e: unknown) => e as StackError,
      );
      expect(isOutstreamError(error, ErrorCode.stack)).toBe(true);
      expect(['postgres', 'redis', 'kafka']).toContain(error?.component);
      expect(error?.message).toMatch(/did not start already answers/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
