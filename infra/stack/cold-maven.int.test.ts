import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { stackDown, stackStatus, stackUp } from './stack.ts';

// A second stack beside the suite's own: its own state directory, its own (empty) Maven
// local repository and ports shifted 2000 above the suite's (below it when that is too high).
const suite = loadConfig(process.env);
const offset = suite.stack.portOffset + (suite.stack.portOffset + 2000 <= 13000 ? 2000 : -2000);
const root = mkdtempSync(path.join(os.tmpdir(), 'outstream-cold-'));
// PostgreSQL runs as the postgres user: it must be able to reach its data directory.
chmodSync(root, 0o755);
const config = loadConfig({
  OUTSTREAM_STACK_DIR: path.join(root, 'stack'),
  OUTSTREAM_MAVEN_REPO_LOCAL: path.join(root, 'm2'),
  OUTSTREAM_PORT_OFFSET: String(offset),
});

afterAll(async () => {
  await stackDown(config).catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

describe('a machine whose Maven local repository is empty', () => {
  it('downloads every artifact and starts the whole stack (components resolving in parallel, Maven one at a time)', {
    timeout: 900_000,
  }, async () => {
    const begun = Date.now();
    const outcomes = await stackUp(config);
    const seconds = (Date.now() - begun) / 1000;
    expect(Object.values(outcomes).every((o) => o === 'started')).toBe(true);
    const status = await stackStatus(config);
    expect(status.filter((s) => !s.healthy).map((s) => s.component)).toEqual([]);
    // Everything came from Maven Central into the empty repository, nothing from ~/.m2.
    const repo = config.stack.mavenRepoLocal ?? '';
    expect(readdirSync(path.join(repo, 'org', 'apache', 'kafka'))).toContain('kafka_2.13');
    expect(readdirSync(path.join(repo, 'io', 'debezium'))).toContain('debezium-connector-postgres');
    expect(readdirSync(path.join(repo, 'io', 'apicurio'))).toContain('apicurio-registry-app');
    const mb = Number(execFileSync('du', ['-sm', repo], { encoding: 'utf8' }).split('\t')[0]);
    console.log(`cold start, empty Maven local repository: ${seconds.toFixed(1)} s, ${mb} MB downloaded`);
  });
});
