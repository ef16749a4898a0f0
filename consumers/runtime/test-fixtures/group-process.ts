import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { configToEnv, type OutstreamConfig } from '../../../core/config.ts';
import type { KafkaProducer, ProducerRecord } from '../../../core/kafka/index.ts';
import { waitFor } from '../../../core/wait.ts';
import type { SchemaIds } from '../../../producers/index.ts';
import { catalogue, type Events, type EventType } from '../../../schemas/index.ts';
import { eventMessage } from '../../framework/test-fixtures/kafka.ts';

/** A consumer group running as its own process (`consumers/runtime/main.ts <name>`). */
export interface GroupProcess {
  child: ChildProcess;
  /** Its health/metrics port, as it reported it over IPC (the way `npm start` learns it). */
  port: number;
  /** Every line it wrote (pino JSON). */
  lines: string[];
  /** `/health` as JSON, with the HTTP status. */
  health(): Promise<{ code: number; status: string; consumers: { degraded?: string; stalled?: string }[] }>;
  /** The value of one metric series in `/metrics` (summed over the lines matching `labels`), 0 if absent. */
  metric(name: string, labels?: string): Promise<number>;
  /** True while the process runs. */
  alive(): boolean;
  /** SIGTERM and wait for its exit. */
  stop(): Promise<void>;
}

/**
 * Starts a group as a process on `config` (a private stack's connection settings), under the
 * group id `<name>.<suffix>`, at the end of its topics; resolves once its health server listens
 * (the group has joined and committed its start positions).
 */
export async function startGroupProcess(
  name: string,
  config: OutstreamConfig,
  suffix: string,
  env: Record<string, string> = {},
  /** Where its output lines go, readable before it serves /health (default a new array). */
  lines: string[] = [],
): Promise<GroupProcess> {
  const main = path.join(import.meta.dirname, '..', 'main.ts');
  const settings = Object.fromEntries(
    configToEnv(config)
      .split('\n')
      .map((l) => l.split(/=(.*)/s, 2)),
  );
  const child = spawn(process.execPath, [main, name], {
    env: {
      ...process.env,
      ...settings,
      OUTSTREAM_HEALTH_PORT: '0',
      OUTSTREAM_LOG_LEVEL: 'info',
      OUTSTREAM_GROUP_SUFFIX: suffix,
      OUTSTREAM_START_AT: 'end',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let rest = '';
  const collect = (b: Buffer) => {
    const parts = (rest + b.toString()).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let port: number | undefined;
  child.on('message', (m: { type?: string; port?: number }) => {
    if (m?.type === 'outstream:health') port = m.port;
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  await waitFor(() => port, {
    timeoutMs: 120_000,
    what: `the ${name} process to serve /health`,
    abort: () => (alive() ? undefined : `it exited: ${lines.slice(-5).join('\n')}`),
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    child,
    port: port!,
    lines,
    alive,
    async health() {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(5_000) });
      return { code: res.status, ...((await res.json()) as { status: string; consumers: [] }) };
    },
    async metric(metric, labels = '') {
      const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
      return text
        .split('\n')
        .filter((l) => (l.startsWith(`${metric}{`) || l.startsWith(`${metric} `)) && l.includes(labels))
        .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    },
    async stop() {
      if (!alive()) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

/** One event to produce straight to Kafka, as Debezium would publish it. */
export interface TestEvent<K extends EventType = EventType> {
  type: K;
  aggregateId: string;
  payload: Events[K];
}

/**
 * Produces events to their catalogue topics exactly as Debezium's outbox router would
 * (Confluent-framed Avro, envelope headers), numbering each aggregate's sequence; returns the
 * event ids. Retries a send that fails (a broker restarting) until it succeeds.
 */
export async function produceEvents(
  producer: KafkaProducer,
  schemaIds: SchemaIds,
  events: readonly TestEvent[],
  sequences: Map<string, number>,
): Promise<string[]> {
  const records: ProducerRecord[] = [];
  const ids: string[] = [];
  for (const e of events) {
    const sequence = (sequences.get(e.aggregateId) ?? 0) + 1;
    sequences.set(e.aggregateId, sequence);
    const message = eventMessage(
      e.type,
      e.aggregateId,
      sequence,
      e.payload as never,
      await schemaIds.idFor(e.type),
    );
    ids.push(message.headers['event-id']!);
    records.push({ topic: catalogue[e.type].topic, ...message });
  }
  await waitFor(() => producer.send(records).then(() => true), {
    timeoutMs: 120_000,
    intervalMs: 500,
    what: `${records.length} records to be produced`,
  });
  return ids;
}
