import { pino } from 'pino';
import {
  type KafkaRecord,
  type PartitionOffset,
  type RecordBatch,
  recordHeaders,
  type TopicPartition,
} from '../../../core/kafka/index.ts';
import { type BatchLoop, type BatchLoopDeps, type BatchSource, createBatchLoop } from '../batch-loop.ts';
import type { Coalesced } from '../handler.ts';
import { createKeyScheduler } from '../key-scheduler.ts';
import type { RecordOutcome, RecordSignals } from '../process-record.ts';

/** An in-memory batch source: batches are pushed by the test, commits and pauses recorded. */
export function fakeSource() {
  const queued: RecordBatch[] = [];
  const commits: PartitionOffset[][] = [];
  const paused: TopicPartition[] = [];
  let wake: (() => void) | undefined;
  const source: BatchSource = {
    async poll(signal) {
      if (queued.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 20);
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
      return queued.splice(0);
    },
    async commit(offsets) {
      commits.push(offsets.map((o) => ({ ...o })));
    },
    pause: (ps) => paused.push(...ps),
  };
  return {
    source,
    commits,
    paused,
    /** Queues one batch of records `[offset, key, event type?]`; it ends at `nextOffset` (default: after the last). */
    push(
      tp: TopicPartition,
      records: [offset: number, key: string | null, type?: string][],
      nextOffset?: number,
    ) {
      const rs = records.map(([offset, key, type]) => record(tp, offset, key, type));
      const next = nextOffset ?? (records.at(-1)?.[0] ?? 0) + 1;
      queued.push({ ...tp, records: rs, highWatermark: BigInt(next + 10), nextOffset: BigInt(next) });
      wake?.();
    },
    /** The offsets committed for a partition, in order. */
    committedOf: (tp: TopicPartition) =>
      commits.flatMap((c) => c.filter((o) => o.partition === tp.partition).map((o) => o.offset)),
  };
}

/** A record of the fake source; with `type`, its `event-type` header. */
export function record(tp: TopicPartition, offset: number, key: string | null, type?: string): KafkaRecord {
  return {
    ...tp,
    offset: BigInt(offset),
    key: key === null ? null : Buffer.from(key),
    value: null,
    headers: recordHeaders(type === undefined ? {} : { 'event-type': type }),
    timestamp: 0,
  };
}

/**
 * Handlers the test finishes by hand: `finish('0/3')` ends the handler of partition 0, offset 3;
 * `coalesced` holds what each debounced run stood for, by the same id.
 */
export function controlledHandlers() {
  const started: string[] = [];
  const coalesced = new Map<string, Coalesced>();
  const finished: string[] = [];
  const gates = new Map<string, { resolve: (o: RecordOutcome) => void; signals: RecordSignals }>();
  const id = (r: KafkaRecord) => `${r.partition}/${r.offset}`;
  return {
    started,
    finished,
    coalesced,
    signalsOf: (rid: string) => gates.get(rid)?.signals,
    process(r: KafkaRecord, signals: RecordSignals, stands?: Coalesced): Promise<RecordOutcome> {
      started.push(id(r));
      if (stands) coalesced.set(id(r), stands);
      return new Promise<RecordOutcome>((resolve) => {
        gates.set(id(r), { resolve, signals });
        // A handler told to give up is abandoned (its record is not finished).
        signals.abort.addEventListener('abort', () => resolve('abandoned'), { once: true });
      }).then((o) => {
        if (o !== 'abandoned') finished.push(id(r));
        return o;
      });
    },
    finish(rid: string, outcome: RecordOutcome = 'processed') {
      const gate = gates.get(rid);
      if (!gate) throw new Error(`${rid} has not started`);
      gate.resolve(outcome);
    },
  };
}

/** Options of {@link startLoop}: the loop's own, but for what the fixture provides. */
export type LoopOptions = Partial<Omit<BatchLoopDeps, 'source' | 'scheduler' | 'process' | 'logger'>>;

/**
 * A started batch loop over a {@link fakeSource} and {@link controlledHandlers}, owning
 * partitions 0 and 1 of topic `t` from offset 0, committing every 10 ms (defaults: 16 in
 * flight, 5 s drain). It is pushed to `loops`, for the test's cleanup to stop.
 */
export function startLoop(loops: BatchLoop[], o: LoopOptions = {}) {
  const fake = fakeSource();
  const handlers = controlledHandlers();
  const inFlight = o.inFlight ?? 16;
  const loop = createBatchLoop({
    drainTimeoutMs: 5_000,
    commitIntervalMs: 10,
    ...o,
    inFlight,
    source: fake.source,
    scheduler: createKeyScheduler({ limit: inFlight }),
    process: handlers.process,
    logger: pino({ level: 'silent' }),
  });
  loops.push(loop);
  loop.assign([
    { topic: 't', partition: 0, offset: 0n },
    { topic: 't', partition: 1, offset: 0n },
  ]);
  loop.start();
  return { fake, handlers, loop };
}
