import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import {
  type ReplayedRecord,
  type ReplayReport,
  replayDeadLetters,
} from '../../consumers/framework/index.ts';
import type { GroupDefinition } from '../../consumers/runtime/run-group.ts';
import type { OutstreamConfig } from '../../core/config.ts';
import { withClient } from '../../core/db.ts';
import { InvalidArgumentError } from '../../core/errors.ts';
import { type KafkaClient, readAll, replayCursorGroup } from '../../core/kafka/index.ts';
import type { SchemaRegistry } from '../../core/schema-registry.ts';
import { type BlockedKeyRow, hasBlockedKeyStore, listBlockedKeys } from './blocked-keys.ts';
import { type DeadLetterTopic, listDeadLetterTopics } from './dead-letter-topics.ts';
import { viewDeadLetter } from './dead-letter-view.ts';

/** Options of {@link replayCommand}. */
export interface ReplayCommandOptions {
  config: OutstreamConfig;
  /** The environment the group's definition reads its own settings from. */
  env: Record<string, string | undefined>;
  kafka: KafkaClient;
  registry: SchemaRegistry;
  group: string;
  /** One dead-letter topic of the group (or its source topic); default: all of the group's. */
  topic?: string;
  /** Whose handlers replay the dead letters (see `resolveDefinition`). */
  definition: GroupDefinition;
  /** Replay; without it only the plan is printed. */
  yes: boolean;
  /** Replay from the first dead letter held, not from the cursor. */
  fromStart?: boolean;
  timeoutMs?: number;
  logger: Logger;
  log: (line: string) => void;
}

/** What a replay would do on one topic. */
export interface ReplayPlan {
  topic: string;
  source: string;
  cursorGroup: string;
  /** Per partition, the offsets `[from, to)` it would replay. */
  ranges: { partition: number; from: bigint; to: bigint }[];
  count: number;
  /** How many of them the reason and type counts are taken from. */
  sampled: number;
  byReason: Record<string, number>;
  byEventType: Record<string, number>;
}

const listed = 10;
const sampledPerPartition = 2_000n;

/**
 * What a replay of `group`'s dead letters would do, per dead-letter topic (reads offsets and
 * at most a sample of records; changes nothing). Empty when the group has no dead-letter topic.
 *
 * @throws InvalidArgumentError for a topic that is not one of the group's dead-letter topics.
 */
export async function planReplay(
  kafka: KafkaClient,
  group: string,
  o: { topic?: string; fromStart?: boolean } = {},
): Promise<ReplayPlan[]> {
  const topics: DeadLetterTopic[] = (
    await kafka.withAdmin((admin) => listDeadLetterTopics(admin, { group, topic: o.topic }))
  ).topics;
  if (topics.length === 0 && o.topic !== undefined)
    throw new InvalidArgumentError([
      `--topic ${o.topic}: not a dead-letter topic of group ${group} (npm run dlq -- list --group ${group} shows them)`,
    ]);
  return Promise.all(topics.map((t) => plan(kafka, t, o.fromStart ?? false)));
}

/** Options of {@link runReplay}: what {@link replayCommand} takes, less the printing, plus the plans. */
export type RunReplayOptions = Omit<ReplayCommandOptions, 'yes' | 'log' | 'topic'> & {
  plans: readonly ReplayPlan[];
};

/** What {@link runReplay} did. */
export interface ReplayOutcome {
  reports: ReplayReport[];
  /** Some dead letters failed again, or the replay stopped before the end. */
  failed: boolean;
  /** For a `block-key` group: the keys held back, and those this replay cleared. */
  blockKey?: BlockKeyState;
}

/** A block-key group's keys after a replay; `blocked` is undefined without the Postgres store. */
export interface BlockKeyState {
  blocked: BlockedKeyRow[] | undefined;
  /** Blocked keys every dead letter of which this replay handled: ready to release. */
  ready: BlockedKeyRow[];
}

/**
 * Replays the planned dead letters through the group's own handlers (`replayDeadLetters`) and
 * says what became of each: the one replay behind `npm run dlq -- replay --yes` and the console.
 */
export async function runReplay(o: RunReplayOptions): Promise<ReplayOutcome> {
  const { kafka, group } = o;
  const built = await o.definition.build({
    config: o.config,
    env: o.env,
    kafka,
    registry: o.registry,
    metricsRegistry: new Registry(),
    logger: o.logger,
  });
  const reports: ReplayReport[] = [];
  try {
    for (const p of o.plans) {
      if (p.count === 0) continue;
      // The group's own options (one schema with defineConsumer's); replay keeps what applies.
      reports.push(
        await replayDeadLetters({
          ...built.options,
          group,
          deadLetterTopic: p.topic,
          kafka,
          registry: o.registry,
          inFlight: Math.min(built.options.inFlight ?? 16, 64),
          fromStart: o.fromStart,
          timeoutMs: o.timeoutMs,
          logger: o.logger,
        }),
      );
    }
  } finally {
    await built.close();
  }
  const failed = reports.some(
    (r) => !r.complete || r.records.some((x) => x.outcome === 'dead-lettered' || x.outcome === 'abandoned'),
  );
  const blockKey =
    built.options.orderingOnFailure === 'block-key' ? await blockKeyState(o, reports) : undefined;
  return { reports, failed, ...(blockKey ? { blockKey } : {}) };
}

/**
 * `dlq replay`: prints what would be replayed (always), and with `yes` replays it through the
 * group's own handlers ({@link runReplay}), then prints what became of each dead letter.
 *
 * @returns the exit code: 0 when everything replayed was handled (or nothing was done), 3 when
 * some failed again or the replay stopped early.
 * @throws InvalidArgumentError for a topic that is not one of the group's dead-letter topics.
 */
export async function replayCommand(o: ReplayCommandOptions): Promise<number> {
  const { group } = o;
  const log = (...lines: string[]) => {
    for (const l of lines) o.log(l);
  };
  const plans = await planReplay(o.kafka, group, { topic: o.topic, fromStart: o.fromStart });
  if (plans.length === 0) {
    log(`${group}: no dead-letter topics (nothing was ever dead-lettered)`);
    return 0;
  }
  const cursor = replayCursorGroup(group);
  log(
    `replay of the dead letters of group ${group} through the "${o.definition.name}" handlers (cursor: group ${cursor})`,
  );
  for (const p of plans) log(...describePlan(p));
  const total = plans.reduce((n, p) => n + p.count, 0);
  if (total === 0) {
    log('nothing to replay');
    return 0;
  }
  if (!o.yes) {
    log('', `dry run: nothing was replayed. Add --yes to replay ${total} dead letter(s).`);
    return 0;
  }
  const outcome = await runReplay({ ...o, plans });
  for (const r of outcome.reports) log('', ...describeReport(r));
  if (outcome.blockKey) log('', ...describeBlockKey(group, outcome.blockKey));
  return outcome.failed ? 3 : 0;
}

/** For a block-key group: the keys it holds back, and those this replay cleared. */
async function blockKeyState(o: RunReplayOptions, reports: readonly ReplayReport[]): Promise<BlockKeyState> {
  const cleared = new Map<string, boolean>();
  for (const r of reports)
    for (const x of r.records) {
      if (x.original?.key == null) continue;
      const at = `${x.original.topic}\u0000${x.original.key}`;
      cleared.set(at, (cleared.get(at) ?? true) && (x.outcome === 'processed' || x.outcome === 'skipped'));
    }
  const blocked = await withClient(o.config.database.url, async (db) =>
    (await hasBlockedKeyStore(db)) ? listBlockedKeys(db, o.group) : undefined,
  ).catch(() => undefined);
  const ready = (blocked ?? []).filter((b) => cleared.get(`${b.topic}\u0000${b.key}`) === true);
  return { blocked, ready };
}

/** A block-key group's keys after a replay, as release-key commands (pure). */
export function describeBlockKey(group: string, { blocked, ready }: BlockKeyState): string[] {
  const release = (topic: string, key: string) =>
    `  npm run dlq -- release-key --group ${group} --topic ${topic} --key ${key}`;
  if (blocked === undefined)
    return [
      `${group} uses block-key ordering: once all dead letters of a key are replayed, release it:`,
      release('<source topic>', '<key>'),
    ];
  const lines = [`${group} uses block-key ordering: ${blocked.length} key(s) blocked in Postgres.`];
  if (ready.length > 0) {
    lines.push(
      `These had every dead letter of this replay handled; release them (running members apply it within seconds):`,
    );
    lines.push(...ready.map((b) => release(b.topic, b.key)));
  }
  return lines;
}

async function plan(kafka: KafkaClient, t: DeadLetterTopic, fromStart: boolean): Promise<ReplayPlan> {
  const ranges = t.partitions
    .map((p) => {
      const start = fromStart || p.cursor === null || p.cursor < p.low ? p.low : p.cursor;
      return { partition: p.partition, from: start, to: p.high };
    })
    .filter((r) => r.to > r.from);
  // The summary reads at most `sampledPerPartition` dead letters of each partition.
  const records = await readAll(kafka, {
    ranges: ranges.map((r) => ({
      topic: t.topic,
      partition: r.partition,
      from: r.from,
      to: r.from + sampledPerPartition < r.to ? r.from + sampledPerPartition : r.to,
    })),
  });
  const byReason: Record<string, number> = {};
  const byEventType: Record<string, number> = {};
  for (const r of records) {
    const v = viewDeadLetter(r);
    byReason[v.reason ?? '?'] = (byReason[v.reason ?? '?'] ?? 0) + 1;
    byEventType[v.event.type ?? '?'] = (byEventType[v.event.type ?? '?'] ?? 0) + 1;
  }
  return {
    topic: t.topic,
    source: t.source,
    cursorGroup: replayCursorGroup(t.group),
    ranges,
    count: ranges.reduce((n, r) => n + Number(r.to - r.from), 0),
    sampled: records.length,
    byReason,
    byEventType,
  };
}

/** A plan as text (pure). */
export function describePlan(p: ReplayPlan): string[] {
  if (p.count === 0) return [`  ${p.topic}: nothing to replay`];
  const counts = (m: Record<string, number>) =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
  return [
    `  ${p.topic}: ${p.count} dead letter(s) to replay`,
    ...p.ranges.map((r) => `    partition ${r.partition}: offsets ${r.from}–${r.to - 1n} (${r.to - r.from})`),
    ...(p.sampled < p.count ? [`    of the first ${p.sampled}:`] : []),
    `    by reason: ${counts(p.byReason)}`,
    `    by event type: ${counts(p.byEventType)}`,
  ];
}

/** A replay's outcome as text (pure). */
export function describeReport(r: ReplayReport): string[] {
  const n = (outcome: ReplayedRecord['outcome']) => r.records.filter((x) => x.outcome === outcome).length;
  const again = n('dead-lettered');
  const lines = [
    `${r.deadLetterTopic}: replayed ${r.records.length} — ${n('processed')} processed, ${n('skipped')} skipped, ` +
      `${again} failed again${n('abandoned') > 0 ? `, ${n('abandoned')} abandoned` : ''}` +
      `${n('not-a-dead-letter') > 0 ? `, ${n('not-a-dead-letter')} not dead letters (passed over)` : ''}`,
  ];
  const shown = r.records.filter((x) => x.outcome !== 'processed').slice(0, listed);
  for (const x of shown) {
    const at = x.original
      ? ` (${x.original.topic} partition ${x.original.partition} offset ${x.original.offset}, key ${x.original.key ?? '-'})`
      : '';
    const why = x.outcome === 'dead-lettered' ? `: ${x.reason ?? '?'} — ${x.error ?? '?'}` : '';
    lines.push(
      `  ${x.partition}@${x.offset} ${x.eventType ?? '?'} ${x.eventId ?? ''}${at}: ${x.outcome}${why}`,
    );
  }
  if (r.records.filter((x) => x.outcome !== 'processed').length > listed) lines.push('  …');
  lines.push(
    r.complete
      ? `  cursor ${r.cursorGroup} is at the end it started from${again > 0 ? `; what failed again was appended to ${r.deadLetterTopic} (${again}, pending: replay again once fixed)` : ''}`
      : `  stopped before the end: what did not finish stays pending (run the replay again)`,
  );
  return lines;
}
