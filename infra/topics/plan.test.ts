import { describe, expect, it } from 'vitest';
import { replicationOf } from '../../core/stack-profile.ts';
import { describeChange, planTopics, unappliedChanges } from './plan.ts';
import { declaredTopics, topicDefaultsOf } from './topics.ts';

const [booking] = declaredTopics(['booking'], { partitions: 12 });
const matching = {
  name: 'events.booking',
  partitions: 12,
  replicationFactor: 1,
  config: { ...booking!.config },
};

describe('planTopics', () => {
  it('creates what is missing and is empty when the cluster matches', () => {
    expect(planTopics([booking!], []).map((c) => c.kind)).toEqual(['create']);
    expect(planTopics([booking!], [matching])).toEqual([]);
  });

  it('reports config drift and partition changes, flagging keyed topics', () => {
    const drifted = { ...matching, partitions: 6, config: { ...matching.config, 'retention.ms': '1000' } };
    const changes = planTopics([booking!], [drifted]);
    expect(changes).toEqual([
      { kind: 'add-partitions', topic: 'events.booking', from: 6, to: 12, keyed: true },
      {
        kind: 'alter-config',
        topic: 'events.booking',
        key: 'retention.ms',
        from: '1000',
        to: booking!.config['retention.ms'],
      },
    ]);
    expect(describeChange(changes[0]!)).toMatch(/--allow-repartition/);
  });

  it('never plans to remove partitions', () => {
    const changes = planTopics([booking!], [{ ...matching, partitions: 24 }]);
    expect(changes.map((c) => c.kind)).toEqual(['cannot-remove-partitions']);
  });

  it('leaves undeclared topics alone', () => {
    expect(
      planTopics([booking!], [matching, { name: 'other', partitions: 1, replicationFactor: 1, config: {} }]),
    ).toEqual([]);
  });

  it("declares the cluster profile's replication, and shows a cluster that differs as drift apply cannot fix", () => {
    const [replicated] = declaredTopics(
      ['booking'],
      topicDefaultsOf({ kafka: { replication: replicationOf(3) } } as never),
    );
    expect(replicated).toMatchObject({ replicationFactor: 3, config: { 'min.insync.replicas': '2' } });
    const changes = planTopics([replicated!], [matching]);
    expect(changes).toEqual([
      { kind: 'replication', topic: 'events.booking', from: 1, to: 3 },
      { kind: 'alter-config', topic: 'events.booking', key: 'min.insync.replicas', from: '1', to: '2' },
    ]);
    expect(describeChange(changes[0]!)).toMatch(/1 replica per partition, declared 3.*reassign/);
    expect(unappliedChanges(changes, true).map((c) => c.kind)).toEqual(['replication']);
  });
});
