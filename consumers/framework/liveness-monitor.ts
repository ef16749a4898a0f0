import type { Logger } from 'pino';
import { type KafkaAdmin, partitionKey, type TopicPartition } from '../../core/kafka/index.ts';
import type { ConsumerInstrumentation } from './instrumentation.ts';
import { createStallDetector, type LivenessSample } from './liveness.ts';
import type { ConsumerMetrics } from './metrics.ts';

/** What {@link startLivenessMonitor} needs from the runner. */
export interface LivenessMonitorDeps {
  group: string;
  stallTimeoutMs: number;
  logger: Logger;
  metrics: ConsumerMetrics;
  events: ConsumerInstrumentation;
  /** Records processed so far: a count that moved since the last check is progress. */
  finished(): number;
  admin: KafkaAdmin;
  /** The partitions the member owns now. */
  assignment(): TopicPartition[];
  /** Everything of a sample but the lag (which the monitor measures when it needs it). */
  sample(): Omit<LivenessSample, 'now' | 'lag'>;
}

/**
 * Runs the liveness rule ({@link createStallDetector}) of a running consumer: progress is
 * every finished event and every commit; a few times per `stallTimeoutMs` (at most every
 * 15 s) it samples the consumer, and, when no progress came since the last sample, measures
 * the lag of the member's partitions at the broker (committed offsets against log ends: a
 * loop that stopped fetching knows nothing of new records). Logs and counts the change to and
 * from stalled (`outstream_consumer_stalled`).
 */
export function startLivenessMonitor(d: LivenessMonitorDeps) {
  const detector = createStallDetector({ stallTimeoutMs: d.stallTimeoutMs, startedAt: Date.now() });
  const everyMs = Math.min(15_000, Math.max(1_000, Math.floor(d.stallTimeoutMs / 4)));
  const progress = () => detector.progress(Date.now());
  // Finished records are counted, not listened to: a listener would cost an event per record.
  const off = (['committed', 'joined'] as const).map((e) => d.events.on(e, progress));
  let finishedBefore = d.finished();
  let stalled: string | undefined;
  let checking = false;
  d.metrics.stalled.set({ group: d.group }, 0);

  async function check(): Promise<void> {
    if (checking) return;
    checking = true;
    try {
      const now = Date.now();
      const finished = d.finished();
      if (finished !== finishedBefore) detector.progress(now);
      finishedBefore = finished;
      const recent = now - detector.lastProgressAt() < everyMs;
      const lag = recent
        ? undefined
        : await measureLag(d.admin, d.group, d.assignment()).catch(() => undefined);
      const reason = detector.check({ ...d.sample(), now: Date.now(), lag });
      if (reason !== undefined && stalled === undefined)
        d.logger.error({ reason }, `consumer stalled: ${reason}; /health answers 503 (unhealthy)`);
      if (reason === undefined && stalled !== undefined) d.logger.info('consumer is making progress again');
      stalled = reason;
      d.metrics.stalled.set({ group: d.group }, reason === undefined ? 0 : 1);
    } finally {
      checking = false;
    }
  }

  const timer =
    d.stallTimeoutMs > 0
      ? setInterval(() => {
          check().catch((e: unknown) => d.logger.warn({ err: e }, 'liveness check failed'));
        }, everyMs)
      : undefined;
  timer?.unref();
  return {
    /** Why the consumer is stalled, or undefined. */
    stalled: (): string | undefined => stalled,
    stop(): void {
      clearInterval(timer);
      for (const f of off) f();
      d.metrics.stalled.set({ group: d.group }, 0);
    },
  };
}

/** Records between the group's commits and the log ends of `partitions` (at the broker). */
export async function measureLag(
  admin: KafkaAdmin,
  group: string,
  partitions: readonly TopicPartition[],
): Promise<number> {
  if (partitions.length === 0) return 0;
  const topics = [...new Set(partitions.map((p) => p.topic))];
  const [committed, bounds] = await Promise.all([
    admin.committedOffsets(group, topics),
    Promise.all(topics.map(async (t) => [t, await admin.partitionBounds(t)] as const)),
  ]);
  const at = new Map(committed.map((c) => [partitionKey(c), c.offset]));
  const ends = new Map(
    bounds.flatMap(([topic, bs]) =>
      bs.map((b) => [partitionKey({ topic, partition: b.partition }), b] as const),
    ),
  );
  let lag = 0;
  for (const p of partitions) {
    const b = ends.get(partitionKey(p));
    if (!b) continue;
    const from = at.get(partitionKey(p)) ?? b.low;
    if (b.high > from) lag += Number(b.high - from);
  }
  return lag;
}
