import {
  Admin,
  ConfigResourceTypes,
  ConfigSources,
  IncrementalAlterConfigOperationTypes,
} from '@platformatic/kafka';
import { ErrorCode, OutstreamError } from '../../errors.ts';
import { groupByTopic } from '../partitions.ts';
import type { KafkaAdmin } from '../port.ts';
import type { GroupDescription, GroupProtocol, PartitionOffset, TopicPartition } from '../types.ts';
import { describeQuorum, partitionReplicas } from './cluster.ts';
import { describeConsumerGroup } from './describe-consumer-group.ts';
import { baseOptions, type ConnectionOptions, call } from './options.ts';

// States in which a group has no member whose commits would overwrite ours.
const idleStates = new Set(['EMPTY', 'DEAD', 'Empty', 'Dead']);
// Both protocols' groups (platformatic lists the classic ones only unless told).
const groupTypes = ['classic', 'consumer'];
const earliest = -2n;
const latest = -1n;

/** The admin facade on a platformatic `Admin`, connected on first use. */
export function createAdmin(o: ConnectionOptions): KafkaAdmin {
  let client: Admin | undefined;
  const admin = () => {
    client ??= new Admin(baseOptions(o, 'admin'));
    return client;
  };

  const self: KafkaAdmin = {
    listTopics: () => call('list topics', () => admin().listTopics()),

    async describeTopics(topics) {
      if (topics.length === 0) return [];
      const existing = new Set(await self.listTopics());
      const wanted = topics.filter((t) => existing.has(t));
      if (wanted.length === 0) return [];
      const metadata = await call('describe topics', () =>
        admin().metadata({ topics: wanted, forceUpdate: true }),
      );
      return wanted.flatMap((topic) => {
        const t = metadata.topics.get(topic);
        if (!t) return [];
        return [
          { topic, partitions: t.partitionsCount, replicationFactor: t.partitions[0]?.replicas.length ?? 0 },
        ];
      });
    },

    async createTopics(specs) {
      for (const s of specs) {
        await call(`create topic ${s.topic}`, () =>
          admin().createTopics({
            topics: [s.topic],
            partitions: s.partitions,
            replicas: s.replicationFactor,
            configs: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
          }),
        );
      }
      // Created means led: a produce or fetch right after must not meet LEADER_NOT_AVAILABLE.
      const names = specs.map((s) => s.topic);
      const deadline = Date.now() + 30_000;
      for (;;) {
        let led = false;
        try {
          const metadata = await call('wait for leaders', () =>
            admin().metadata({ topics: names, forceUpdate: true }),
          );
          led = names.every((n) => metadata.topics.get(n)?.partitions.every((p) => p.leader >= 0) ?? false);
        } catch (e) {
          // A broker that has not seen the new topics yet answers "unknown topic": ask again.
          if (Date.now() > deadline) throw e;
        }
        if (led || Date.now() > deadline) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    },

    createPartitions: (topic, count) =>
      call(`create partitions of ${topic}`, () =>
        admin().createPartitions({ topics: [{ name: topic, count }] }),
      ),

    deleteTopics: (topics) => call('delete topics', () => admin().deleteTopics({ topics: [...topics] })),

    async topicConfigs(topic) {
      const [described] = await call(`describe configs of ${topic}`, () =>
        admin().describeConfigs({
          resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }],
        }),
      );
      return (described?.configs ?? []).map((c) => ({
        name: c.name,
        value: c.value ?? null,
        isTopicOverride: c.configSource === ConfigSources.DYNAMIC_TOPIC_CONFIG,
        isSensitive: c.isSensitive,
      }));
    },

    async setTopicConfigs(topic, configs) {
      const entries = Object.entries(configs);
      if (entries.length === 0) return;
      await call(`set configs of ${topic}`, () =>
        admin().incrementalAlterConfigs({
          resources: [
            {
              resourceType: ConfigResourceTypes.TOPIC,
              resourceName: topic,
              configs: entries.map(([name, value]) => ({
                name,
                value,
                configOperation: IncrementalAlterConfigOperationTypes.SET,
              })),
            },
          ],
        }),
      );
    },

    async partitionBounds(topic) {
      const metadata = await call(`describe ${topic}`, () => admin().metadata({ topics: [topic] }));
      const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
      const partitions = Array.from({ length: count }, (_, i) => i);
      const list = (timestamp: bigint) =>
        call(`list offsets of ${topic}`, () =>
          admin().listOffsets({
            topics: [
              {
                name: topic,
                partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })),
              },
            ],
          }),
        );
      const [low, high] = await Promise.all([list(earliest), list(latest)]);
      const at = (r: typeof low, p: number) =>
        r[0]?.partitions.find((x) => x.partitionIndex === p)?.offset ?? 0n;
      return partitions.map((partition) => ({
        partition,
        low: at(low, partition),
        high: at(high, partition),
      }));
    },

    partitionReplicas: (topic) => partitionReplicas(admin(), topic),
    describeQuorum: () => describeQuorum(o),

    async committedOffsets(groupId, topics) {
      if (topics === undefined) {
        // OffsetFetch without topics: every partition the group committed on.
        const [all] = await call(`committed offsets of ${groupId}`, () =>
          admin().listConsumerGroupOffsets({ groups: [groupId] }),
        );
        return committedOf(all);
      }
      if (topics.length === 0) return [];
      const existing = new Set(await self.listTopics());
      const wanted = topics.filter((t) => existing.has(t));
      if (wanted.length === 0) return [];
      const metadata = await call('describe topics', () => admin().metadata({ topics: wanted }));
      const [group] = await call(`committed offsets of ${groupId}`, () =>
        admin().listConsumerGroupOffsets({
          groups: [
            {
              groupId,
              topics: wanted.map((name) => ({
                name,
                partitionIndexes: Array.from(
                  { length: metadata.topics.get(name)?.partitionsCount ?? 0 },
                  (_, i) => i,
                ),
              })),
            },
          ],
        }),
      );
      return committedOf(group);
    },

    async setGroupOffsets(groupId, offsets) {
      if (offsets.length === 0) return;
      const [described] = await self.describeGroups([groupId]);
      if (described && !idleStates.has(described.state) && described.members.length > 0) {
        throw new OutstreamError(
          ErrorCode.consumer,
          `consumer group ${groupId} is ${described.state}: stop its members before moving its offsets`,
        );
      }
      await call(`set offsets of ${groupId}`, () =>
        admin().alterConsumerGroupOffsets({
          groupId,
          topics: [...groupByTopic(offsets)].map(([name, xs]) => ({
            name,
            partitionOffsets: xs.map(({ partition, offset }) => ({ partition, offset })),
          })),
        }),
      );
    },

    async listGroups() {
      const groups = await call('list groups', () => admin().listGroups({ types: groupTypes }));
      return [...groups.values()]
        .map((g) => ({
          groupId: g.id,
          protocolType: g.protocolType,
          state: String(g.state),
          ...(g.groupType === 'classic' || g.groupType === 'consumer'
            ? { protocol: g.groupType as GroupProtocol }
            : {}),
        }))
        .sort((a, b) => a.groupId.localeCompare(b.groupId));
    },

    async describeGroups(groupIds) {
      if (groupIds.length === 0) return [];
      const listed = await call('list groups', () => admin().listGroups({ types: groupTypes }));
      const out: GroupDescription[] = [];
      const classic: string[] = [];
      for (const id of groupIds) {
        const g = listed.get(id);
        if (g?.groupType === 'consumer') {
          // KIP-848 groups: the classic DescribeGroups answers them as unknown.
          const d = await describeConsumerGroup(o, id);
          if (d) out.push(d);
        } else if (g && g.protocolType !== 'consumer' && g.protocolType !== '') {
          // platformatic decodes every member's metadata as the consumer protocol's, and a
          // group of another (Connect's workers) makes it throw outside the promise (uncaught):
          // such a group is described from the listing, without members.
          out.push({ groupId: id, state: String(g.state), protocolType: g.protocolType, members: [] });
        } else classic.push(id);
      }
      if (classic.length === 0) return out;
      const groups = await call('describe groups', () => admin().describeGroups({ groups: classic }));
      for (const g of groups.values()) {
        if (String(g.state).toUpperCase() === 'DEAD') continue;
        out.push({
          groupId: g.id,
          state: String(g.state),
          protocolType: g.protocolType,
          members: [...g.members.values()].map((m) => ({
            memberId: m.id,
            clientId: m.clientId,
            host: m.clientHost,
            assignment: [...(m.assignments?.values() ?? [])].flatMap((a): TopicPartition[] =>
              a.partitions.map((partition) => ({ topic: a.topic, partition })),
            ),
          })),
        });
      }
      return out;
    },

    deleteGroups: (groupIds) =>
      groupIds.length === 0
        ? Promise.resolve()
        : call('delete groups', () => admin().deleteGroups({ groups: [...groupIds] })),

    async close() {
      const c = client;
      client = undefined;
      await c?.close().catch(() => {});
    },
  };
  return self;
}

/** The commits of an OffsetFetch answer (a partition without one has offset -1). */
function committedOf(
  group: Awaited<ReturnType<Admin['listConsumerGroupOffsets']>>[number] | undefined,
): PartitionOffset[] {
  return (group?.topics ?? []).flatMap((t) =>
    t.partitions
      .filter((p) => p.committedOffset >= 0n)
      .map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset })),
  );
}

/** Sorts offsets by topic, then partition (stable output for commands and tests). */
export function byPartition(a: PartitionOffset, b: PartitionOffset): number {
  return a.topic.localeCompare(b.topic) || a.partition - b.partition;
}
