import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../core/wait.ts';
import { freePort } from '../../test/ports.ts';

// `npm start` as a user runs it: platform set up, a group running with prefixed logs, and
// Ctrl-C (SIGINT) stopping it cleanly.
describe('npm start', () => {
  it('runs the groups with prefixed logs and stops them cleanly on SIGINT', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [path.join(import.meta.dirname, '..', 'start.ts'), '--only', 'cache-invalidation'],
      { env: { ...process.env, OUTSTREAM_HEALTH_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok, {
      timeoutMs: 120_000,
      intervalMs: 250,
      what: 'the group behind npm start to be healthy',
      abort: () => (child.exitCode !== null ? `npm start exited: ${out}` : undefined),
    });
    expect(out).toContain('[setup] migrations:');
    // The member's own log, through the prefixing formatter: it joined and owns partitions.
    expect(out).toMatch(/cache-invalidation │ INFO {2}partitions assigned /);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('[start] all processes stopped');
    expect(
      await fetch(`http://127.0.0.1:${port}/health`).then(
        () => 'up',
        () => 'down',
      ),
    ).toBe('down');
  });
});
