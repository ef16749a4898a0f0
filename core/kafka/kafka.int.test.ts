import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafka as kafkaComponent } from '../../infra/stack/components/kafka.ts';
import { stackDown, stackUp } from '../../infra/stack/stack.ts';
import { loadConfig } from '../config.ts';
import { isOutstreamError } from '../errors.ts';
import { waitFor } from '../wait.ts';
import {
  createKafka,
  type GroupProtocol,
  headerText,
  type KafkaClient,
  type KafkaRecord,
  readAll,
  type TopicPartition,
} from './index.ts';

// The contract of the Kafka port, proven against the stack's broker: everything Outstream
// relies on goes through these verbs, whatever adapter is behind them.
const config = loadConfig(process.env);
const kafka = createKafka({ brokers: config.kafka.brokers, clientId: 'test-port' });
const admin = kafka.admin();
const created: string[] = [];

async function newTopic(partitions = 3): Promise<string> {
  const topic = `test.port.${randomUUID()}`;
  await admin.createTopics([{ topic, partitions, replicationFactor: 1 }]);
  created.push(topic);
  return topic;
}

afterAll(async () => {
  await admin.deleteTopics(created).catch(() => {});
  await admin.close();
});

describe('the Kafka port against the stack broker', () => {
  it('admin: creates topics with configs, reads and sets configs, adds partitions, describes', async () => {
    const topic = `test.port.${randomUUID()}`;
    await admin.createTopics([
      { topic, partitions: 2, replicationFactor: 1, configs: { 'retention.ms': '3600000' } },
    ]);
    created.push(topic);
    const retention = (await admin.topicConfigs(topic)).find((c) => c.name === 'retention.ms');
    expect(retention).toMatchObject({ value: '3600000', isTopicOverride: true });
    await admin.setTopicConfigs(topic, { 'cleanup.policy': 'delete', 'retention.bytes': '1000000' });
    const after = await admin.topicConfigs(topic);
    expect(after.find((c) => c.name === 'retention.ms')?.value).toBe('3600000');
    expect(after.find((c) => c.name === 'retention.bytes')?.value).toBe('1000000');
    await admin.createPartitions(topic, 3);
    expect(await admin.describeTopics([topic, `missing.${randomUUID()}`])).toEqual([
      { topic, partitions: 3, replicationFactor: 1 },
    ]);
    expect(await admin.listTopics()).toContain(topic);
  });

  it('admin: partition leaders and replicas, and the controller quorum (a single node leads everything)', async () => {
    const topic = await newTopic(2);
    const replicas = await admin.partitionReplicas(topic);
    const [node] = (await admin.describeQuorum()).voters;
    expect(replicas).toEqual([
      { partition: 0, leader: node, replicas: [node], isr: [node] },
      { partition: 1, leader: node, replicas: [node], isr: [node] },
    ]);
    const quorum = await admin.describeQuorum();
    expect(quorum.voters.length).toBe(config.stack.kafkaNodes);
    expect(quorum.voters).toContain(quorum.leaderId);
    expect(quorum.leaderEpoch).toBeGreaterThan(0);
  });

  it('produces keyed records with headers and reads ranges back group-less, in order per partition', async () => {
    const topic = await newTopic(3);
    const producer = kafka.producer();
    const keys = ['a', 'b', 'c', 'd'];
    for (const n of [1, 2, 3]) {
      await producer.send(
        keys.map((key) => ({ topic, key, value: `${key}${n}`, headers: { n: String(n) } })),
      );
    }
    await producer.close();
    const bounds = await admin.partitionBounds(topic);
    expect(bounds.reduce((s, b) => s + Number(b.high - b.low), 0)).toBe(12);
    const records = await readAll(kafka, {
      ranges: bounds.map((b) => ({ topic, partition: b.partition, from: b.low, to: b.high })),
    });
    expect(records).toHaveLength(12);
    for (const key of keys) {
      const mine = records.filter((r) => r.key?.toString() === key);
      expect(mine.map((r) => r.value?.toString())).toEqual([`${key}1`, `${key}2`, `${key}3`]);
      // One key, one partition.
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
      expect(mine.map((r) => headerText(r.headers, 'n'))).toEqual(['1', '2', '3']);
    }
    expect(records.every((r) => typeof r.offset === 'bigint' && r.timestamp > Date.now() - 60_000)).toBe(
      true,
    );
    // A sub-range: exactly those offsets.
    const p = bounds.find((b) => b.high - b.low >= 2)!;
    const slice = await readAll(kafka, {
      ranges: [{ topic, partition: p.partition, from: p.low + 1n, to: p.high }],
    });
    expect(slice.map((r) => r.offset)).toEqual(
      Array.from({ length: Number(p.high - p.low - 1n) }, (_, i) => p.low + 1n + BigInt(i)),
    );
    // A read that stops inside a fetched batch says where it stopped: resuming there loses nothing.
    const reader = kafka.reader();
    const stops: bigint[] = [];
    try {
      for await (const b of reader.read({
        ranges: [{ topic, partition: p.partition, from: p.low, to: p.low + 1n }],
      }))
        stops.push(b.nextOffset);
    } finally {
      await reader.close();
    }
    expect(stops.at(-1)).toBe(p.low + 1n);
    const rest = await readAll(kafka, {
      ranges: [{ topic, partition: p.partition, from: stops.at(-1)!, to: p.high }],
    });
    expect(rest.map((r) => r.offset)).toEqual(slice.map((r) => r.offset));
  });

  it('a bounded read that cannot reach its end fails by its deadline, naming the partition', async () => {
    const topic = await newTopic(1);
    const error = await readAll(kafka, {
      ranges: [{ topic, partition: 0, from: 0n, to: 5n }],
      timeoutMs: 1_000,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isOutstreamError(error, 'KAFKA')).toBe(true);
    expect((error as Error).message).toContain(`${topic}/0`);
  });

  it('a follow read gets records written after it began, and ends when aborted', async () => {
    const topic = await newTopic(1);
    const abort = new AbortController();
    const reader = kafka.reader();
    const got: KafkaRecord[] = [];
    const reading = (async () => {
      for await (const b of reader.read({
        ranges: [{ topic, partition: 0, from: 0n }],
        signal: abort.signal,
      })) {
        got.push(...b.records);
      }
    })();
    const producer = kafka.producer();
    await producer.send([{ topic, key: 'k', value: 'later' }]);
    await waitFor(() => got.length === 1, {
      timeoutMs: 20_000,
      what: 'the record written after the read began',
    });
    abort.abort();
    await reading;
    await Promise.all([producer.close(), reader.close()]);
    expect(got[0]?.value?.toString()).toBe('later');
  });
});

const protocols: readonly GroupProtocol[] = ['classic', 'consumer'];

/** A member's view of the records it handled. */
interface Handled {
  member: string;
  partition: number;
  offset: bigint;
  key: string;
  value: string;
}

/** Who holds which partition across a test's members: a claim on one another member still holds is an overlap. */
function ownership() {
  const holder = new Map<number, string>();
  const overlaps: string[] = [];
  return {
    overlaps,
    claim(name: string, ps: readonly TopicPartition[]) {
      for (const p of ps) {
        const other = holder.get(p.partition);
        if (other !== undefined && other !== name)
          overlaps.push(`${name} got ${p.partition} while ${other} held it`);
        holder.set(p.partition, name);
      }
    },
    release(name: string, ps: readonly TopicPartition[]) {
      for (const p of ps) if (holder.get(p.partition) === name) holder.delete(p.partition);
    },
  };
}

/**
 * A member driven as the consumer framework drives one: positions from the group's commits,
 * each polled batch handled at once and committed after the poll, and what it handled of a
 * partition committed before it gives the partition up.
 */
function startMember(
  name: string,
  o: {
    groupId: string;
    topic: string;
    protocol: GroupProtocol;
    handled: Handled[];
    owners: ReturnType<typeof ownership>;
    client?: KafkaClient;
  },
) {
  const done = new Map<number, bigint>();
  let running = true;
  const commitDone = (ps: readonly TopicPartition[]) =>
    consumer.commit(
      ps.flatMap((p) => {
        const offset = done.get(p.partition);
        return offset === undefined ? [] : [{ topic: o.topic, partition: p.partition, offset }];
      }),
    );
  const consumer = (o.client ?? kafka).groupConsumer({
    groupId: o.groupId,
    topics: [o.topic],
    protocol: o.protocol,
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 500,
    listener: {
      async assigned(ps) {
        const committed = await consumer.committed(ps);
        for (const p of ps) {
          const at = committed.find((c) => c.partition === p.partition)?.offset ?? 0n;
          consumer.seek({ ...p, offset: at });
        }
        o.owners.claim(name, ps);
      },
      async revoked(ps) {
        await commitDone(ps);
        for (const p of ps) done.delete(p.partition);
        o.owners.release(name, ps);
      },
      lost(ps) {
        for (const p of ps) done.delete(p.partition);
        o.owners.release(name, ps);
      },
    },
  });
  const loop = (async () => {
    while (running) {
      const batches = await consumer.poll();
      for (const b of batches) {
        for (const r of b.records) {
          const [key, value] = [r.key?.toString() ?? '', r.value?.toString() ?? ''];
          o.handled.push({ member: name, partition: r.partition, offset: r.offset, key, value });
        }
        done.set(b.partition, b.nextOffset);
      }
      // A commit refused mid-rebalance is made again by the revocation that follows.
      if (batches.length > 0) await commitDone(consumer.assignment()).catch(() => {});
    }
  })();
  return {
    consumer,
    owned: () => consumer.assignment().map((p) => p.partition),
    handledBy: () => o.handled.filter((h) => h.member === name).length,
    async stop() {
      running = false;
      await loop;
      await consumer.close();
    },
  };
}

/** Every key's values, by first arrival: in order and without a gap (re-deliveries allowed). */
function expectOrderedWithoutGaps(handled: readonly Handled[], produced: ReadonlyMap<string, number>) {
  for (const [key, count] of produced) {
    const firsts: number[] = [];
    const seen = new Set<number>();
    for (const h of handled) {
      if (h.key !== key) continue;
      const n = Number(h.value);
      if (!seen.has(n)) firsts.push(n);
      seen.add(n);
    }
    expect(firsts, `values of ${key}`).toEqual(Array.from({ length: count }, (_, i) => i));
  }
}

// The member the group loses without notice: its own process, killed with SIGKILL.
const doomedMember = `
const [indexUrl, brokers, groupId, topic, protocol] = process.argv.slice(1);
const { createKafka } = await import(indexUrl);
const kafka = createKafka({ brokers: brokers.split(','), clientId: 'test-port-doomed' });
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const next = new Map();
const offsets = (ps) => ps.flatMap((p) => (next.has(p.partition) ? [{ ...p, offset: next.get(p.partition) }] : []));
const c = kafka.groupConsumer({
  groupId, topics: [topic], protocol, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500,
  listener: {
    async assigned(ps) {
      const committed = await c.committed(ps);
      for (const p of ps) c.seek({ ...p, offset: committed.find((x) => x.partition === p.partition)?.offset ?? 0n });
      say({ owned: [...c.assignment(), ...ps].map((p) => p.partition) });
    },
    async revoked(ps) {
      await c.commit(offsets(ps));
      for (const p of ps) next.delete(p.partition);
      say({ owned: c.assignment().filter((a) => !ps.some((p) => p.partition === a.partition)).map((p) => p.partition) });
    },
    lost() {},
  },
});
await c.start();
for (;;) {
  const batches = await c.poll();
  for (const b of batches) {
    say({ handled: b.records.map((r) => r.partition + '/' + r.offset) });
    next.set(b.partition, b.nextOffset);
  }
  if (batches.length > 0) await c.commit(offsets(c.assignment())).catch(() => {});
}
`;

function spawnDoomedMember(groupId: string, topic: string, protocol: GroupProtocol) {
  const indexUrl = pathToFileURL(path.join(import.meta.dirname, 'index.ts')).href;
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      doomedMember,
      indexUrl,
      config.kafka.brokers.join(','),
      groupId,
      topic,
      protocol,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const state = { owned: [] as number[], handled: new Set<string>() };
  createInterface({ input: child.stdout }).on('line', (line) => {
    const m = JSON.parse(line) as { owned?: number[]; handled?: string[] };
    if (m.owned) state.owned = [...new Set(m.owned)];
    for (const h of m.handled ?? []) state.handled.add(h);
  });
  return { child, state };
}

describe.each(protocols)('group consumer, %s protocol', (protocol) => {
  it('group consumer: assigned, fetches from where it is told, commits in one request, revoked on close', async () => {
    const topic = await newTopic(3);
    const producer = kafka.producer();
    await producer.send(Array.from({ length: 30 }, (_, i) => ({ topic, key: `k${i}`, value: String(i) })));
    await producer.close();
    const groupId = `test-port-${randomUUID().slice(0, 8)}`;
    const events: string[] = [];
    const got: KafkaRecord[] = [];
    const consumer = kafka.groupConsumer({
      groupId,
      topics: [topic],
      protocol,
      listener: {
        async assigned(partitions) {
          events.push(`assigned ${partitions.length}`);
          for (const p of partitions) consumer.seek({ ...p, offset: 0n });
        },
        async revoked(partitions) {
          events.push(`revoked ${partitions.length}`);
        },
        lost() {
          events.push('lost');
        },
      },
    });
    await consumer.start();
    expect(events).toEqual(['assigned 3']);
    const next = new Map<string, bigint>();
    await waitFor(
      async () => {
        for (const b of await consumer.poll()) {
          got.push(...b.records);
          next.set(`${b.topic}/${b.partition}`, b.nextOffset);
        }
        return got.length >= 30;
      },
      { timeoutMs: 30_000, what: '30 records' },
    );
    const offsets = [...next].map(([k, offset]) => ({
      topic,
      partition: Number(k.split('/').pop()),
      offset,
    }));
    await consumer.commit(offsets);
    const committed = await consumer.committed(consumer.assignment());
    expect(committed.reduce((s, c) => s + Number(c.offset), 0)).toBe(30);
    expect(consumer.health()).toMatchObject({ state: 'stable', degraded: undefined });
    await consumer.close();
    expect(events).toEqual(['assigned 3', 'revoked 3']);
    const fromAdmin = await admin.committedOffsets(groupId, [topic]);
    expect(fromAdmin.reduce((s, c) => s + Number(c.offset), 0)).toBe(30);
    const [group] = await admin.describeGroups([groupId]);
    expect(group?.members ?? []).toEqual([]);
    await admin.deleteGroups([groupId]);
  });

  it('a second member gets partitions only after the first finished revoking them', async () => {
    const topic = await newTopic(4);
    const groupId = `test-port-${randomUUID().slice(0, 8)}`;
    const log: string[] = [];
    const overlaps: string[] = [];
    const members = new Map<string, Set<string>>();
    const member = (name: string, revokeDelayMs: number) => {
      const owned = new Set<string>();
      members.set(name, owned);
      const c = kafka.groupConsumer({
        groupId,
        topics: [topic],
        protocol,
        heartbeatIntervalMs: 200,
        listener: {
          async assigned(ps: readonly TopicPartition[]) {
            for (const p of ps) {
              for (const other of members.values()) {
                if (other !== owned && other.has(`${p.partition}`))
                  overlaps.push(`${name} got ${p.partition}`);
              }
              owned.add(`${p.partition}`);
              c.seek({ ...p, offset: 0n });
            }
            log.push(`${name} assigned ${[...ps].map((p) => p.partition).join(',')}`);
          },
          async revoked(ps: readonly TopicPartition[]) {
            log.push(`${name} revoking`);
            await new Promise((r) => setTimeout(r, revokeDelayMs));
            for (const p of ps) owned.delete(`${p.partition}`);
            log.push(`${name} revoked`);
          },
          lost() {},
        },
      });
      return { c, owned };
    };
    const a = member('a', 1_500);
    await a.c.start();
    // A topic just created may reach the group coordinator a moment after the first heartbeat.
    await waitFor(() => a.owned.size === 4, { timeoutMs: 20_000, what: 'a to own every partition' });
    const polling = (async () => {
      while (a.c.health().state !== 'closed') await a.c.poll();
    })();
    const b = member('b', 0);
    await b.c.start();
    // Under `consumer` b may start with nothing: it is given a's partitions once a acknowledged.
    await waitFor(() => b.owned.size > 0 && a.owned.size + b.owned.size === 4, {
      timeoutMs: 30_000,
      what: 'the partitions to be shared',
    });
    expect(log.indexOf('a revoked')).toBeGreaterThan(-1);
    expect(log.indexOf('a revoked')).toBeLessThan(log.findIndex((l) => l.startsWith('b assigned')));
    expect([...a.owned].some((p) => b.owned.has(p))).toBe(false);
    expect(overlaps).toEqual([]);
    await b.c.close();
    await a.c.close();
    await polling;
  });

  it('a member killed without leaving: the survivor gets its partitions after the session timeout, nothing lost', async () => {
    const topic = await newTopic(4);
    const groupId = `test-port-${randomUUID().slice(0, 8)}`;
    const producer = kafka.producer();
    const produce = (from: number) =>
      producer.send(
        Array.from({ length: 40 }, (_, i) => ({ topic, key: `k${from + i}`, value: `${from + i}` })),
      );
    await produce(0);
    const doomed = spawnDoomedMember(groupId, topic, protocol);
    const handled: Handled[] = [];
    const owners = ownership();
    try {
      await waitFor(() => doomed.state.owned.length === 4, {
        timeoutMs: 30_000,
        what: 'the doomed member to join',
      });
      const survivor = startMember('survivor', { groupId, topic, protocol, handled, owners });
      await survivor.consumer.start();
      await waitFor(() => survivor.owned().length === 2 && doomed.state.owned.length === 2, {
        timeoutMs: 30_000,
        what: 'the partitions to be shared',
      });
      await produce(40);
      await waitFor(() => doomed.state.handled.size > 40, {
        timeoutMs: 20_000,
        what: 'the doomed member to handle',
      });
      doomed.child.kill('SIGKILL');
      const killedAt = Date.now();
      await produce(80);
      // The group notices only by the missing heartbeats: `consumer` expires a member after the
      // broker's group.consumer.session.timeout.ms (45 s by default), `classic` after 6 s here.
      await waitFor(() => survivor.owned().length === 4, {
        timeoutMs: 80_000,
        what: 'the survivor to take over',
      });
      expect(Date.now() - killedAt).toBeGreaterThan(protocol === 'classic' ? 3_000 : 30_000);
      const bounds = await admin.partitionBounds(topic);
      const all = bounds.flatMap((b) =>
        Array.from({ length: Number(b.high - b.low) }, (_, i) => `${b.partition}/${b.low + BigInt(i)}`),
      );
      expect(all).toHaveLength(120);
      const seen = () =>
        new Set([...doomed.state.handled, ...handled.map((h) => `${h.partition}/${h.offset}`)]);
      await waitFor(() => all.every((x) => seen().has(x)), {
        timeoutMs: 30_000,
        what: 'every record handled',
      });
      await survivor.stop();
      await producer.close();
      expect(owners.overlaps).toEqual([]);
    } finally {
      doomed.child.kill('SIGKILL');
    }
  }, 150_000);

  it('per-key order and no loss while a member joins and leaves mid-stream', async () => {
    const topic = await newTopic(4);
    const groupId = `test-port-${randomUUID().slice(0, 8)}`;
    const keys = Array.from({ length: 12 }, (_, i) => `key-${i}`);
    const produced = new Map(keys.map((k) => [k, 0]));
    const producer = kafka.producer();
    let producing = true;
    const writer = (async () => {
      for (let n = 0; producing && n < 5_000; n++) {
        await producer.send(keys.map((key) => ({ topic, key, value: String(n) })));
        for (const k of keys) produced.set(k, n + 1);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const handled: Handled[] = [];
    const owners = ownership();
    const a = startMember('a', { groupId, topic, protocol, handled, owners });
    await a.consumer.start();
    await waitFor(() => a.handledBy() >= 100, { timeoutMs: 30_000, what: 'a to handle records' });
    const b = startMember('b', { groupId, topic, protocol, handled, owners });
    await b.consumer.start();
    await waitFor(() => b.handledBy() >= 50, { timeoutMs: 60_000, what: 'b to handle records' });
    await b.stop();
    const afterLeave = a.handledBy();
    await waitFor(() => a.owned().length === 4 && a.handledBy() > afterLeave + 100, {
      timeoutMs: 60_000,
      what: 'a to take everything back',
    });
    producing = false;
    await writer;
    await producer.close();
    const complete = () =>
      [...produced].every(
        ([key, count]) => new Set(handled.filter((h) => h.key === key).map((h) => h.value)).size === count,
      );
    await waitFor(complete, { timeoutMs: 30_000, what: 'every produced record handled' });
    await a.stop();
    expect(owners.overlaps).toEqual([]);
    expectOrderedWithoutGaps(handled, produced);
  }, 150_000);
});

// A private single broker, started and killed with the stack's own code (the shared one is
// never touched): the client's tracker has open reports of streams that do not reconnect
// after a broker restart and of batch consumption that stops. Ours does neither.
describe('a broker restarted under a running consumer and producer', () => {
  const dir = path.join(tmpdir(), `outstream-restart-${randomUUID().slice(0, 8)}`);
  const offset =
    config.stack.portOffset + 4_000 <= 13_000
      ? config.stack.portOffset + 4_000
      : config.stack.portOffset - 4_000;
  const privateConfig = loadConfig({
    OUTSTREAM_STACK_DIR: dir,
    OUTSTREAM_PORT_OFFSET: String(offset),
    OUTSTREAM_MAVEN_REPO_LOCAL: process.env.OUTSTREAM_MAVEN_REPO_LOCAL,
    // Everything but Kafka points at the shared stack, so only Kafka starts here.
    DATABASE_URL: config.database.url,
    REDIS_URL: config.redis.url,
    SMTP_URL: config.smtp.url,
    SCHEMA_REGISTRY_URL: config.registry.url,
    CONNECT_URL: config.connect.url,
  });
  const privateKafka = createKafka({ brokers: privateConfig.kafka.brokers, clientId: 'test-port-restart' });

  beforeAll(async () => {
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    // The shared stack's resolved jars (with their stamp) spare a Maven run.
    const jars = path.join(config.stack.dir, 'lib', 'kafka');
    if (existsSync(jars)) cpSync(jars, path.join(dir, 'lib', 'kafka'), { recursive: true });
    await stackUp(privateConfig);
  }, 300_000);

  afterAll(async () => {
    await stackDown(privateConfig, () => {}, ['kafka']);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it.each(protocols)(
    '%s protocol: both wait the outage out and carry on, nothing acknowledged is lost',
    async (protocol) => {
      const topic = `test.port.restart.${randomUUID()}`;
      await privateKafka.withAdmin((a) => a.createTopics([{ topic, partitions: 3, replicationFactor: 1 }]));
      const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
      const acked = new Set<string>();
      const sendFailures: unknown[] = [];
      let ticks = 0;
      let producing = true;
      const producer = privateKafka.producer();
      const writer = (async () => {
        for (let n = 0; producing && n < 20_000; n++) {
          const records = keys.map((key) => ({ topic, key, value: String(n) }));
          // A send fails with a retriable error or succeeds; it never hangs.
          for (let sent = false; !sent && producing; ) {
            const outcome = await Promise.race([
              producer.send(records).then(
                () => 'sent' as const,
                (e: unknown) => e,
              ),
              new Promise((r) => setTimeout(() => r('hung'), 60_000)),
            ]);
            if (outcome === 'hung') throw new Error(`a send of tick ${n} did not settle in 60 s`);
            if (outcome === 'sent') sent = true;
            else if (isOutstreamError(outcome, 'KAFKA') && outcome.retriable) sendFailures.push(outcome);
            else throw outcome;
            if (!sent) await new Promise((r) => setTimeout(r, 250));
          }
          if (!producing) return;
          for (const key of keys) acked.add(`${key}=${n}`);
          ticks = n + 1;
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      writer.catch(() => {});
      const handled: Handled[] = [];
      let degradedSeen = false;
      const member = startMember('m', {
        groupId: `test-port-${randomUUID().slice(0, 8)}`,
        topic,
        protocol,
        handled,
        owners: ownership(),
        client: privateKafka,
      });
      await member.consumer.start();
      const watch = setInterval(() => {
        if (member.consumer.health().degraded !== undefined) degradedSeen = true;
      }, 50);
      try {
        await waitFor(() => handled.length >= 60, { timeoutMs: 30_000, what: 'records before the restart' });
        const pid = kafkaComponent.runningPid(privateConfig);
        expect(pid).toBeDefined();
        process.kill(pid as number, 'SIGKILL');
        await waitFor(() => kafkaComponent.runningPid(privateConfig) === undefined, {
          timeoutMs: 10_000,
          what: 'the broker to die',
        });
        const killedAt = Date.now();
        await waitFor(() => degradedSeen, { timeoutMs: 30_000, what: 'the consumer to report the outage' });
        // The outage lasts a few seconds at least: both clients find nothing to talk to.
        await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 4_000 - Date.now())));
        const ticksAtRestart = ticks;
        await stackUp(privateConfig);
        await waitFor(() => handled.some((h) => Number(h.value) > ticksAtRestart + 20), {
          timeoutMs: 90_000,
          what: 'records written after the restart',
        }).catch((e: Error) => {
          const last = (sendFailures.at(-1) as Error | undefined)?.message;
          throw new Error(
            `${e.message} (${ticks} ticks sent, last send failure: ${last}, consumer ${JSON.stringify(member.consumer.health())})`,
          );
        });
        await waitFor(() => member.consumer.health().degraded === undefined, {
          timeoutMs: 30_000,
          what: 'health to clear',
        });
        producing = false;
        await writer;
        const missing = () => {
          const consumed = new Set(handled.map((h) => `${h.key}=${h.value}`));
          return [...acked].filter((x) => !consumed.has(x));
        };
        await waitFor(() => missing().length === 0, {
          timeoutMs: 30_000,
          what: 'every acknowledged record consumed',
        }).catch(() => {});
        expect(missing()).toEqual([]);
        // The outage showed in the producer as retriable failures (any other kind was thrown above).
        expect(sendFailures.length).toBeGreaterThan(0);
        const bounds = await privateKafka.withAdmin((a) => a.partitionBounds(topic));
        const reader = privateKafka.reader();
        const inLog = new Set<string>();
        for await (const b of reader.read({
          ranges: bounds.map((x) => ({ topic, partition: x.partition, from: x.low, to: x.high })),
        })) {
          for (const r of b.records) inLog.add(`${r.key?.toString()}=${r.value?.toString()}`);
        }
        await reader.close();
        expect([...acked].filter((x) => !inLog.has(x))).toEqual([]);
        expect(member.consumer.health().state).toBe('stable');
      } finally {
        clearInterval(watch);
        producing = false;
        // A failure mid-outage leaves the broker down: the next test needs it.
        if (kafkaComponent.runningPid(privateConfig) === undefined) await stackUp(privateConfig);
        await writer.catch(() => {});
        await producer.close();
        await member.stop();
      }
    },
    240_000,
  );
});
