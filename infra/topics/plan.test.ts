import { describe, expect, it } from 'vitest';
import { describeChange, planTopics } from './plan.ts';
import { declaredTopics } from './topics.ts';

const [booking] = declaredTopics(['booking'], { partitions: 12 });
const matching = { name: 'events.booking', partitions: 12, config: { ...booking!.config } };

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
    expect(planTopics([booking!], [matching, { name: 'other', partitions: 1, config: {} }])).toEqual([]);
  });
});
