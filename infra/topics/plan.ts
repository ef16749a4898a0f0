import type { TopicSpec } from './topics.ts';

/** A topic as the cluster has it. */
export interface ActualTopic {
  name: string;
  partitions: number;
  /** Replicas of its first partition (Kafka keeps one factor per topic unless reassigned). */
  replicationFactor: number;
  config: Record<string, string>;
}

/** One difference between the declaration and the cluster. */
export type TopicChange =
  | { kind: 'create'; topic: TopicSpec }
  | { kind: 'alter-config'; topic: string; key: string; from: string | undefined; to: string }
  | { kind: 'add-partitions'; topic: string; from: number; to: number; keyed: boolean }
  | { kind: 'cannot-remove-partitions'; topic: string; from: number; to: number }
  | { kind: 'replication'; topic: string; from: number; to: number };

/** Changes `topics apply` cannot make (or was not allowed to): it exits 3 when any is left. */
export function unappliedChanges(changes: readonly TopicChange[], allowRepartition: boolean): TopicChange[] {
  return changes.filter(
    (c) => c.kind === 'replication' || (c.kind === 'add-partitions' && c.keyed && !allowRepartition),
  );
}

/**
 * Pure diff of declared topics against the cluster. Topics present on the cluster but not
 * declared are left alone (other teams' topics, Connect's internal ones).
 */
export function planTopics(declared: readonly TopicSpec[], actual: readonly ActualTopic[]): TopicChange[] {
  const byName = new Map(actual.map((t) => [t.name, t]));
  const changes: TopicChange[] = [];
  for (const spec of declared) {
    const have = byName.get(spec.name);
    if (!have) {
      changes.push({ kind: 'create', topic: spec });
      continue;
    }
    if (have.partitions < spec.partitions) {
      changes.push({
        kind: 'add-partitions',
        topic: spec.name,
        from: have.partitions,
        to: spec.partitions,
        keyed: spec.keyed,
      });
    } else if (have.partitions > spec.partitions) {
      changes.push({
        kind: 'cannot-remove-partitions',
        topic: spec.name,
        from: have.partitions,
        to: spec.partitions,
      });
    }
    if (have.replicationFactor !== spec.replicationFactor) {
      changes.push({
        kind: 'replication',
        topic: spec.name,
        from: have.replicationFactor,
        to: spec.replicationFactor,
      });
    }
    for (const [key, to] of Object.entries(spec.config)) {
      const from = have.config[key];
      if (from !== to) changes.push({ kind: 'alter-config', topic: spec.name, key, from, to });
    }
  }
  return changes;
}

/** A one-line, human-readable rendering of a change. */
export function describeChange(c: TopicChange): string {
  switch (c.kind) {
    case 'create':
      return `+ create ${c.topic.name} (partitions=${c.topic.partitions}, rf=${c.topic.replicationFactor}, ${Object.entries(
        c.topic.config,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')})`;
    case 'alter-config':
      return `~ ${c.topic}: ${c.key} ${c.from ?? '(unset)'} → ${c.to}`;
    case 'add-partitions':
      return `~ ${c.topic}: partitions ${c.from} → ${c.to}${c.keyed ? ' (keyed topic: moves keys, needs --allow-repartition)' : ''}`;
    case 'replication':
      return `! ${c.topic}: ${c.from} ${c.from === 1 ? 'replica' : 'replicas'} per partition, declared ${c.to}; Kafka changes replication only by reassigning partitions (kafka-reassign-partitions.sh --reassignment-json-file …), \`topics apply\` leaves it as is`;
    case 'cannot-remove-partitions':
      return `! ${c.topic}: has ${c.from} partitions, declared ${c.to}; Kafka cannot remove partitions (left as is)`;
    default:
      return assertNever(c);
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}
