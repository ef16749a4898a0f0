import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorConfig, connectorStatus } from '../../connect/connect-rest.ts';
import { envelopeHeaders } from '../../connect/outbox-connector.ts';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { waitFor } from '../../core/wait.ts';
import { type Capture, captureTopics } from '../../test/capture.ts';
import { runConnectorApply, runMigrations, runTopicsApply } from '../setup.ts';
import { connect as connectComponent } from '../stack/components/connect.ts';
import { stackDown, stackUp } from '../stack/stack.ts';

// Capture made to fail on purpose, on a private PostgreSQL, Kafka and Connect (ports 6000 away
// from the suite's, its own state directory; the registry, Redis and SMTP are the suite's): the
// shared connector is never touched. Each check runs the operator's commands as processes.
const suite = loadConfig(process.env);
const offset = suite.stack.portOffset + (suite.stack.portOffset + 6000 <= 13000 ? 6000 : -6000);
const root = mkdtempSync(path.join(os.tmpdir(), 'outstream-capture-'));
// PostgreSQL runs as the postgres user: it must be able to reach its data directory.
chmodSync(root, 0o755);
const env: Record<string, string> = {
  OUTSTREAM_STACK_DIR: path.join(root, 'stack'),
  OUTSTREAM_PORT_OFFSET: String(offset),
  SCHEMA_REGISTRY_URL: suite.registry.url,
  REDIS_URL: suite.redis.url,
  SMTP_URL: suite.smtp.url,
  SMTP_SINK_URL: suite.smtp.sinkUrl,
  ...(suite.stack.mavenRepoLocal ? { OUTSTREAM_MAVEN_REPO_LOCAL: suite.stack.mavenRepoLocal } : {}),
};
const config = loadConfig(env);
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: 'test-capture-health' });
const topic = 'events.booking';
const repo = path.resolve(import.meta.dirname, '../..');
let pool: pg.Pool;
let capture: Capture;

/** Runs an operator command (`infra/main.ts …`, `infra/stack/main.ts …`) against the private stack. */
function run(script: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd: repo, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}
const connector = (...args: string[]) => run('infra/main.ts', 'connector', ...args);
const stackStatusCommand = (...args: string[]) => run('infra/stack/main.ts', 'status', ...args);

async function insert(aggregateId: string, sequence: number, payloadBytes = 64) {
  const eventId = randomUUID();
  const payload = Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), randomBytes(payloadBytes - 5)]);
  await pool.query(
    `INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, sequence, occurred_at, payload)
     VALUES ($1, 'booking', $2, 'booking.created', $3, now(), $4)`,
    [eventId, aggregateId, sequence, payload],
  );
  return { eventId, payload };
}

const publishedIds = (key: string) =>
  capture.messages.filter((m) => m.key === key).map((m) => m.headers[envelopeHeaders.eventId]);

/**
 * Waits until `connector status` exits 0 and knows the age of Connect's committed position (the
 * connector has committed offsets); a timeout shows its last answer.
 */
async function untilHealthy(...args: string[]) {
  let last = '';
  await waitFor(
    async () => {
      const r = await connector('status', ...args);
      last = r.out;
      return r.code === 0 && /newest change Connect committed/.test(r.out);
    },
    { timeoutMs: 60_000, what: 'healthy capture' },
  ).catch((e: Error) => {
    throw new Error(`${e.message}; last status:\n${last}`);
  });
}

async function taskState(state: string) {
  await waitFor(
    async () =>
      (await connectorStatus(config.connect.url, config.connect.connectorName))?.tasks[0]?.state === state,
    { timeoutMs: 60_000, what: `the private connector's task to be ${state}` },
  );
}

beforeAll(async () => {
  await stackUp(config);
  await runMigrations(config);
  // A broker that has just started may not know a topic it created yet: apply again (idempotent).
  await waitFor(() => runTopicsApply(config).then(() => true), { timeoutMs: 60_000, what: 'the topics' });
  await runConnectorApply(config);
  pool = new pg.Pool({ connectionString: config.database.url, max: 2 });
  capture = await captureTopics(kafka, [topic]);
  await untilHealthy();
});

afterAll(async () => {
  await capture?.stop();
  await pool?.end();
  await stackDown(config).catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

describe('capture health, on a private stack', () => {
  it('is healthy (exit 0) while the task runs and the slot keeps up', async () => {
    const status = await connector('status');
    expect(status.out).toMatch(/capture: healthy/);
    expect(status.code).toBe(0);
    const stack = await stackStatusCommand();
    expect(stack.out).toMatch(/capture\s+healthy\s+outstream-outbox running; slot outstream_outbox active/);
    expect(stack.code).toBe(0);
    expect(await connector('plan')).toMatchObject({
      code: 0,
      out: expect.stringMatching(/config unchanged/),
    });
  });

  it('reports a task FAILED on a row Kafka refuses (exit 1, plan 3), and --skip-failed-record lets what follows through', async () => {
    // A database without the outbox guard (migration 007): the row reaches Connect.
    await pool.query('ALTER TABLE outbox DISABLE TRIGGER outbox_guard');
    let dropped: string;
    try {
      dropped = (await insert('k', 1, 2_000_000)).eventId;
    } finally {
      await pool.query('ALTER TABLE outbox ENABLE TRIGGER outbox_guard');
    }
    const after = [await insert('k', 2), await insert('other', 1)];
    await taskState('FAILED');

    const status = await connector('status', '--max-slot-age-s', '1');
    expect(status.code).toBe(1);
    expect(status.out).toMatch(
      /UNHEALTHY: task 0 FAILED: org\.apache\.kafka\.common\.errors\.RecordTooLargeException/,
    );
    expect(status.out).toMatch(/what to do: an outbox row larger than .* --skip-failed-record/);
    expect(status.out).toMatch(/UNHEALTHY: replication slot outstream_outbox is inactive/);
    expect(status.out).toMatch(
      /UNHEALTHY: the newest change Connect committed was written \d+\.\d s ago \(limit 1\.0 s\)/,
    );
    const stack = await stackStatusCommand();
    expect(stack.code).toBe(1);
    expect(stack.out).toMatch(/capture\s+UNHEALTHY outstream-outbox: \d problems\n\s+task 0 FAILED/);

    const plan = await connector('plan');
    expect(plan.code).toBe(3);
    expect(plan.out).toMatch(
      /config unchanged\n\s+task 0 is FAILED: org\.apache\.kafka\.common\.errors\.RecordTooLargeException/,
    );
    const apply = await connector('apply');
    expect(apply.code).toBe(1);
    expect(apply.out).toMatch(/task 0 FAILED again: .*RecordTooLargeException/);

    const skip = await connector('apply', '--skip-failed-record');
    expect(skip.out).toMatch(/restarted, dropping what Kafka refused/);
    expect(skip.code).toBe(0);
    await capture.until(
      () =>
        after.every((a) => capture.messages.some((m) => m.headers[envelopeHeaders.eventId] === a.eventId)),
      60_000,
      'the rows committed after the dropped one',
    );
    expect(publishedIds('k')).toEqual([after[0]!.eventId]);
    // Where the operator finds what was dropped, and why.
    const log = readFileSync(connectComponent.logFile(config), 'utf8');
    expect(log).toMatch(new RegExp(`LogReporter: Error encountered in task .*event_id=${dropped}.*`));
    expect(log).toMatch(/RecordTooLargeException: The message is 2000\d{3} bytes/);
    expect(
      Object.keys((await connectorConfig(config.connect.url, config.connect.connectorName)) ?? {}),
    ).not.toContain('errors.tolerance');
    await waitFor(async () => (await connector('status')).code === 0, {
      timeoutMs: 30_000,
      what: 'healthy capture',
    });
  });

  it('reports a record the broker refuses (a topic limit lowered); once it is restored, apply publishes it: nothing lost', async () => {
    await kafka.withAdmin((admin) => admin.setTopicConfigs(topic, { 'max.message.bytes': '2000' }));
    // Alone in its produce request: a batch of several records over the topic's limit makes
    // Kafka 4.1's producer split it forever (KAFKA-8350), and the task hangs RUNNING instead.
    const refused = await insert('m', 1, 3_000);
    await taskState('FAILED');
    const next = await insert('m', 2);
    const status = await connector('status');
    expect(status.code).toBe(1);
    expect(status.out).toMatch(/task 0 FAILED: .*larger than the max message size the server will accept/);
    expect(status.out).toMatch(/what to do: Kafka refused a record as too large: .*nothing is lost/);

    await kafka.withAdmin((admin) => admin.setTopicConfigs(topic, { 'max.message.bytes': '1048588' }));
    expect(await connector('apply')).toMatchObject({ code: 0 });
    await capture.until(() => publishedIds('m').length === 2, 60_000, 'both rows');
    expect(publishedIds('m')).toEqual([refused.eventId, next.eventId]);
    const m = capture.messages.find((x) => x.headers[envelopeHeaders.eventId] === refused.eventId)!;
    expect(Buffer.compare(m.value!, refused.payload)).toBe(0);
    await untilHealthy();
  });

  it('reports a task that Connect calls RUNNING but that publishes nothing, by the age of what it committed', async () => {
    // Debezium runs its heartbeat query in its streaming loop: a lock on the heartbeat row
    // stops the loop, and the task still reports RUNNING.
    await untilHealthy('--max-slot-age-s', '3');
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('UPDATE outbox_heartbeat SET beat_at = now()');
      let last = { code: 0, out: '' };
      await waitFor(
        async () => {
          last = await connector('status', '--max-slot-age-s', '3');
          return last.code === 1;
        },
        { timeoutMs: 30_000, what: 'the stalled task to be reported' },
      );
      expect(last.out).toMatch(/task 0: RUNNING/);
      expect(last.out).toMatch(
        /UNHEALTHY: the newest change Connect committed was written \d+\.\d s ago \(limit 3\.0 s\)/,
      );
      expect(last.out).toMatch(/what to do: capture is stalled while its task runs: .*outbox_heartbeat/);
      // The loop waits on the lock: a row committed now stays unpublished until it is released.
      const held = await insert('h', 1);
      expect((await connector('status', '--max-slot-age-s', '3')).code).toBe(1);
      expect(publishedIds('h')).toEqual([]);
      const stack = await stackStatusCommand('--max-slot-age-s', '3');
      expect(stack.code).toBe(1);
      expect(stack.out).toMatch(/capture\s+UNHEALTHY/);
      await holder.query('ROLLBACK');
      expect(await connector('restart')).toMatchObject({ code: 0, out: expect.stringMatching(/restarted/) });
      await capture.until(() => publishedIds('h').includes(held.eventId), 60_000, 'the row held back');
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      holder.release();
    }
    await untilHealthy('--max-slot-age-s', '3');
  });

  it('reports an inactive slot holding WAL beyond the limit while Connect is down (exit 1), and recovers when it is back', async () => {
    await stackDown(config, () => {}, ['connect']);
    const whileDown = await insert('d', 1);
    await pool.query('CREATE TABLE IF NOT EXISTS test_churn (id serial PRIMARY KEY, pad text)');
    await pool.query("INSERT INTO test_churn (pad) SELECT repeat('x', 1000) FROM generate_series(1, 3000)");

    const status = await connector('status', '--max-slot-lag-mib', '1');
    expect(status.code).toBe(1);
    expect(status.out).toMatch(/UNHEALTHY: Connect does not answer at http:\/\/127\.0\.0\.1:\d+/);
    expect(status.out).toMatch(/UNHEALTHY: replication slot outstream_outbox is inactive/);
    expect(status.out).toMatch(/holds \d+\.\d MiB of WAL Connect has not confirmed \(limit 1\.0 MiB\)/);
    const stack = await stackStatusCommand();
    expect(stack.code).toBe(1);
    expect(stack.out).toMatch(/connect\s+DOWN/);
    expect(stack.out).toMatch(/capture\s+unknown\s+needs connect/);

    await stackUp(config);
    await capture.until(
      () => publishedIds('d').includes(whileDown.eventId),
      60_000,
      'the row written while down',
    );
    await untilHealthy('--max-slot-lag-mib', '1');
  });

  it('refuses a threshold that is not a positive number (exit 2, naming the flag)', async () => {
    const bad = await connector('status', '--max-slot-age-s', 'soon');
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/--max-slot-age-s: "soon" is not a positive number/);
  });
});
