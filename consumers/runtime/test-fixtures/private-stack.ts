import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Component, loadConfig, type OutstreamConfig } from '../../../core/config.ts';
import { waitFor } from '../../../core/wait.ts';
import { runMigrations, runTopicsApply } from '../../../infra/setup.ts';
import { kafka as kafkaComponent } from '../../../infra/stack/components/kafka.ts';
import { postgres as postgresComponent } from '../../../infra/stack/components/postgres.ts';
import { redis as redisComponent } from '../../../infra/stack/components/redis.ts';
import { findTools } from '../../../infra/stack/prerequisites.ts';
import { stackDown, stackUp } from '../../../infra/stack/stack.ts';

const run = promisify(execFile);

/**
 * A private PostgreSQL, Redis and Kafka for fault tests, started and stopped with the stack's
 * own code: its own state directory and ports 7000 above the suite's (below them when that is
 * too high). The registry, Connect and the SMTP sink stay the suite's: they are never
 * restarted here, and schema ids are shared with the suite's registry. The suite's stack is
 * never touched.
 */
export function privateStackConfig(suite: OutstreamConfig = loadConfig(process.env)): OutstreamConfig {
  const offset =
    suite.stack.portOffset + 7_000 <= 13_000
      ? suite.stack.portOffset + 7_000
      : suite.stack.portOffset - 7_000;
  return loadConfig({
    OUTSTREAM_STACK_DIR: path.join(tmpdir(), `outstream-faults-${offset}`),
    OUTSTREAM_PORT_OFFSET: String(offset),
    OUTSTREAM_MAVEN_REPO_LOCAL: process.env.OUTSTREAM_MAVEN_REPO_LOCAL,
    SCHEMA_REGISTRY_URL: suite.registry.url,
    CONNECT_URL: suite.connect.url,
    SMTP_URL: suite.smtp.url,
    SMTP_SINK_URL: suite.smtp.sinkUrl,
  });
}

/** The components a private stack runs. */
const own: readonly Component[] = ['postgres', 'redis', 'kafka'];

/**
 * Brings the private stack up (reusing what runs), with the migrations and the topics applied.
 * Kafka's resolved jars are copied from the suite's stack (no Maven run).
 *
 * @returns the components it started: stop them (and only them) with {@link privateStackDown}.
 */
export async function privateStackUp(suite: OutstreamConfig, config: OutstreamConfig): Promise<Component[]> {
  const dir = config.stack.dir;
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    // PostgreSQL runs as the postgres user: it must be able to reach its data directory.
    chmodSync(dir, 0o755);
  }
  const jars = path.join(suite.stack.dir, 'lib', 'kafka');
  const mine = path.join(dir, 'lib', 'kafka');
  if (existsSync(jars) && !existsSync(mine)) cpSync(jars, mine, { recursive: true });
  const outcomes = await stackUp(config);
  await runMigrations(config);
  await runTopicsApply(config);
  return own.filter((c) => outcomes[c] === 'started');
}

/**
 * Stops components of the private stack (default all it runs); its state directory stays, so
 * the next test file starts it again in seconds.
 */
export function privateStackDown(config: OutstreamConfig, only: readonly Component[] = own): Promise<void> {
  return only.length === 0 ? Promise.resolve() : stackDown(config, () => {}, only);
}

/** Runs `pg_ctl` on the private cluster, as the postgres user when we are root. */
async function pgCtl(config: OutstreamConfig, args: string[]): Promise<void> {
  const bin = path.join(findTools().pgBin ?? '', 'pg_ctl');
  const data = path.join(config.stack.dir, 'postgres', 'data');
  const log = postgresComponent.logFile(config);
  const argv = ['-D', data, '-l', log, '-o', `-p ${config.stack.ports.postgres}`, '-w', '-t', '60', ...args];
  const asRoot = process.getuid?.() === 0;
  await (asRoot ? run('runuser', ['-u', 'postgres', '--', bin, ...argv]) : run(bin, argv));
}

/** PostgreSQL crashes: `pg_ctl stop -m immediate` (every connection cut, crash recovery on the next start). */
export function crashPostgres(config: OutstreamConfig): Promise<void> {
  return pgCtl(config, ['stop', '-m', 'immediate']);
}

/** Starts the private PostgreSQL again; resolves once it answers queries. */
export async function startPostgres(config: OutstreamConfig): Promise<void> {
  await pgCtl(config, ['start']);
  await waitFor(() => postgresComponent.healthy(config), {
    timeoutMs: 60_000,
    what: 'the private PostgreSQL',
  });
}

/** PostgreSQL crashes ({@link crashPostgres}), stays down for `downMs`, then starts again. */
export async function restartPostgres(config: OutstreamConfig, downMs: number): Promise<void> {
  await crashPostgres(config);
  await new Promise((r) => setTimeout(r, downMs));
  await startPostgres(config);
}

/** Redis is killed (SIGKILL), stays down for `downMs`, and starts again (its AOF kept). */
export async function restartRedis(config: OutstreamConfig, downMs: number): Promise<void> {
  const pid = redisComponent.runningPid(config);
  if (pid !== undefined) process.kill(pid, 'SIGKILL');
  await waitFor(() => redisComponent.runningPid(config) === undefined, {
    timeoutMs: 10_000,
    what: 'redis to die',
  });
  await new Promise((r) => setTimeout(r, downMs));
  await stackUp(config);
}

/** The broker is killed (SIGKILL), stays down for `downMs`, and starts again. */
export async function restartKafka(config: OutstreamConfig, downMs: number): Promise<void> {
  const pid = kafkaComponent.runningPid(config);
  if (pid !== undefined) process.kill(pid, 'SIGKILL');
  await waitFor(() => kafkaComponent.runningPid(config) === undefined, {
    timeoutMs: 10_000,
    what: 'the broker to die',
  });
  await new Promise((r) => setTimeout(r, downMs));
  await stackUp(config);
}
