import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { pino } from 'pino';
import { type ConsumerEventPayloads, commitGroupOffsets } from '../consumers/framework/index.ts';
import {
  type GroupDefinition,
  type RunningGroup,
  type StartGroupOptions,
  startGroup,
} from '../consumers/runtime/run-group.ts';
import { type KafkaClient, readAll } from '../core/kafka/index.ts';
import { waitFor } from '../core/wait.ts';
import { headersToStrings } from './capture.ts';

/** A group started by a test, under a fresh group id, with what it processed and dead-lettered. */
export interface TestGroup extends RunningGroup {
  group: string;
  processed: ConsumerEventPayloads['processed'][];
  deadLettered: ConsumerEventPayloads['dead-lettered'][];
  unhandled: ConsumerEventPayloads['unhandled'][];
  /** Waits until every id in `eventIds` was processed or dead-lettered. */
  settled(eventIds: readonly string[], timeoutMs?: number): Promise<void>;
}

/**
 * Starts a consumer group in this process under a test group id (`test-<name>`, so that no
 * other process shares its partitions and its dead-letter topics are reused from run to
 * run), moved to the current end of its topics, with quick retries. Pass `group` to restart
 * a stopped test group where it left off. It resolves once the group joined and its
 * partitions' positions are committed (the consumer's own `start()`): the one way tests wait
 * for a group join.
 */
export async function startTestGroup(
  def: GroupDefinition,
  o: Omit<StartGroupOptions, 'group'> & { group?: string } = {},
): Promise<TestGroup> {
  const group = o.group ?? `test-${def.name}`;
  const running = await startGroup(def, {
    healthPort: 0,
    logger: pino({ level: process.env.OUTSTREAM_LOG_LEVEL ?? 'silent' }),
    resetToEnd: o.group === undefined,
    ...o,
    group,
    overrides: {
      fromBeginning: false,
      retry: { initialDelayMs: 50, maxDelayMs: 500, maxAttempts: 5, maxElapsedMs: 20_000 },
      ...o.overrides,
    },
  });
  const processed: TestGroup['processed'] = [];
  const deadLettered: TestGroup['deadLettered'] = [];
  const unhandled: TestGroup['unhandled'] = [];
  running.consumer.events.on('processed', (p) => processed.push(p));
  running.consumer.events.on('dead-lettered', (p) => deadLettered.push(p));
  running.consumer.events.on('unhandled', (p) => unhandled.push(p));
  return {
    ...running,
    group,
    processed,
    deadLettered,
    unhandled,
    settled: (ids, timeoutMs = 60_000) =>
      waitFor(
        () => {
          const done = new Set([
            ...processed.map((p) => p.eventId),
            ...deadLettered.flatMap((d) => (d.eventId ? [d.eventId] : [])),
          ]);
          return ids.every((id) => done.has(id));
        },
        { timeoutMs, intervalMs: 20, what: `${ids.length} events to be handled by ${group}` },
      ).then(() => undefined),
  };
}

/** Sets a stopped group's committed offsets of `topic` back to `offsets` (partition → offset). */
export async function rewindGroup(
  kafka: KafkaClient,
  group: string,
  topic: string,
  offsets: ReadonlyMap<number, bigint>,
): Promise<void> {
  await commitGroupOffsets(
    kafka,
    group,
    [...offsets].map(([partition, offset]) => ({ topic, partition, offset })),
  );
}

/** The lowest offset per partition among `records`: where a replay of them starts. */
export function firstOffsets(records: readonly { partition: number; offset: bigint }[]): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const r of records) {
    const seen = out.get(r.partition);
    if (seen === undefined || r.offset < seen) out.set(r.partition, r.offset);
  }
  return out;
}

/**
 * Reads a topic (from the first record held to its end, again until `timeoutMs`) until
 * `predicate` holds for the headers of some record (e.g. a dead letter); returns them.
 */
export async function findRecord(
  kafka: KafkaClient,
  topic: string,
  predicate: (headers: Record<string, string>) => boolean,
  timeoutMs = 60_000,
): Promise<Record<string, string>> {
  return waitFor(
    async () => {
      const bounds = await kafka.withAdmin((admin) => admin.partitionBounds(topic));
      const records = await readAll(kafka, {
        ranges: bounds.map((b) => ({ topic, partition: b.partition, from: b.low, to: b.high })),
      });
      return records.map((r) => headersToStrings(r.headers)).find(predicate);
    },
    { timeoutMs, intervalMs: 100, what: `a matching record in ${topic}` },
  );
}

/** A group running as its own process (`node consumers/runtime/main.ts <name>`), to be SIGKILLed. */
export function spawnGroup(name: string, env: Record<string, string>): ChildProcess {
  const main = path.join(import.meta.dirname, '..', 'consumers', 'runtime', 'main.ts');
  return spawn(process.execPath, [main, name], {
    env: { ...process.env, OUTSTREAM_LOG_LEVEL: 'error', OUTSTREAM_HEALTH_PORT: '0', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** Kills a child with SIGKILL and waits for it to be gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await gone;
}

/** Stops a child with SIGTERM and waits for its clean exit. */
export async function stopChild(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const gone = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return gone;
}
