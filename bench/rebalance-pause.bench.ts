// The pause in handling when a second member joins a group mid-stream, per group protocol:
// the longest gap between consecutive records the group handled while member 2 joined (and
// on any one partition: a partition that moves waits for its hand-over), and how long
// member 2 took to handle its first record. It is how the port's default protocol
// is chosen (see core/kafka/README.md, "Group protocols").
// Usage: npm run bench:rebalance [-- --rate 500 --partitions 6 --steady-s 5 --runs 1]
// Prints figures; asserts nothing. Needs the stack (npm run stack:up); uses a throwaway
// topic and `bench-` groups, deleted afterwards.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCli } from '../core/cli.ts';
import { loadConfig } from '../core/config.ts';
import {
  createKafka,
  type GroupProtocol,
  type TopicPartition,
  throwawayGroupPrefixes,
} from '../core/kafka/index.ts';
import { waitFor } from '../core/wait.ts';

const usage = 'usage: npm run bench:rebalance [-- --rate 500 --partitions 6 --steady-s 5 --runs 1]';
const { values } = parseCli(
  {
    options: {
      rate: { type: 'string', default: '500' },
      partitions: { type: 'string', default: '6' },
      'steady-s': { type: 'string', default: '5' },
      runs: { type: 'string', default: '1' },
    },
  },
  usage,
);
const rate = Number(values.rate);
const partitions = Number(values.partitions);
const steadyMs = Number(values['steady-s']) * 1000;
const runs = Number(values.runs);

const config = loadConfig(process.env);
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: 'bench-rebalance' });

/** A member that handles every record at once and commits after each poll and on revocation. */
function member(
  groupId: string,
  topic: string,
  protocol: GroupProtocol,
  handled: number[],
  byPartition: Map<number, number[]>,
  first: number[],
) {
  const next = new Map<number, bigint>();
  let running = true;
  const offsets = (ps: readonly TopicPartition[]) =>
    ps.flatMap((p) => {
      const offset = next.get(p.partition);
      return offset === undefined ? [] : [{ ...p, offset }];
    });
  const consumer = kafka.groupConsumer({
    groupId,
    topics: [topic],
    protocol,
    listener: {
      async assigned(ps) {
        const committed = await consumer.committed(ps);
        for (const p of ps) {
          consumer.seek({ ...p, offset: committed.find((c) => c.partition === p.partition)?.offset ?? 0n });
        }
      },
      async revoked(ps) {
        await consumer.commit(offsets(ps));
        for (const p of ps) next.delete(p.partition);
      },
      lost(ps) {
        for (const p of ps) next.delete(p.partition);
      },
    },
  });
  const loop = (async () => {
    while (running) {
      const batches = await consumer.poll();
      const now = performance.now();
      for (const b of batches) {
        if (b.records.length > 0 && first.length === 0) first.push(now);
        for (const _ of b.records) handled.push(now);
        if (b.records.length > 0)
          byPartition.set(b.partition, [...(byPartition.get(b.partition) ?? []), now]);
        next.set(b.partition, b.nextOffset);
      }
      if (batches.length > 0) await consumer.commit(offsets(consumer.assignment())).catch(() => {});
    }
  })();
  return {
    start: () => consumer.start(),
    async stop() {
      running = false;
      await loop;
      await consumer.close();
    },
  };
}

const longestGap = (times: readonly number[], from: number, to: number) => {
  const inWindow = times.filter((t) => t >= from && t <= to);
  let gap = 0;
  for (let i = 1; i < inWindow.length; i++) gap = Math.max(gap, inWindow[i]! - inWindow[i - 1]!);
  return gap;
};

async function measure(protocol: GroupProtocol, topic: string) {
  const groupId = `${throwawayGroupPrefixes.bench}rebalance-${protocol}-${randomUUID().slice(0, 8)}`;
  const producer = kafka.producer();
  let producing = true;
  const perTick = Math.max(1, Math.round(rate / 100));
  const writer = (async () => {
    for (let n = 0; producing; n++) {
      await producer.send(
        Array.from({ length: perTick }, (_, i) => ({ topic, key: `k${n * perTick + i}`, value: 'x' })),
      );
      await sleep(10);
    }
  })();
  const handled: number[] = [];
  const byPartition = new Map<number, number[]>();
  const first1: number[] = [];
  const first2: number[] = [];
  const m1 = member(groupId, topic, protocol, handled, byPartition, first1);
  await m1.start();
  await waitFor(() => first1.length > 0, { timeoutMs: 30_000, what: 'member 1 to handle a record' });
  await sleep(steadyMs);
  const joinAt = performance.now();
  const steadyGap = longestGap(handled, joinAt - steadyMs / 2, joinAt);
  const m2 = member(groupId, topic, protocol, handled, byPartition, first2);
  await m2.start();
  await waitFor(() => first2.length > 0, { timeoutMs: 60_000, what: 'member 2 to handle a record' });
  const firstAt = first2[0]!;
  await sleep(2_000);
  const pause = longestGap(handled, joinAt, firstAt + 2_000);
  const partitionPause = Math.max(
    ...[...byPartition.values()].map((ts) => longestGap(ts, joinAt, firstAt + 2_000)),
  );
  producing = false;
  await writer;
  await Promise.all([m2.stop(), m1.stop(), producer.close()]);
  await kafka.withAdmin((a) => a.deleteGroups([groupId])).catch(() => {});
  return { steadyGap, pause, partitionPause, firstRecord: firstAt - joinAt };
}

const topic = `bench.rebalance.${randomUUID()}`;
await kafka.withAdmin((a) => a.createTopics([{ topic, partitions, replicationFactor: 1 }]));
const ms = (x: number) => `${Math.round(x)} ms`.padStart(9);
try {
  console.log(
    `rebalance pause: ${rate} records/s, ${partitions} partitions, member 2 joins after ${steadyMs} ms`,
  );
  console.log(
    'protocol  run  group gap before join  group gap while member 2 joins  partition gap while joining  member 2 first record',
  );
  for (let run = 1; run <= runs; run++) {
    for (const protocol of ['classic', 'consumer'] as const) {
      const r = await measure(protocol, topic);
      console.log(
        `${protocol.padEnd(8)}  ${String(run).padStart(3)}  ${ms(r.steadyGap).padStart(21)}  ${ms(r.pause).padStart(30)}  ${ms(r.partitionPause).padStart(27)}  ${ms(r.firstRecord).padStart(21)}`,
      );
    }
  }
} finally {
  await kafka.withAdmin((a) => a.deleteTopics([topic])).catch(() => {});
}
