import { describe, expect, it } from 'vitest';
import { kafkaNodePorts, localPorts } from '../../../core/config.ts';
import { serverProperties } from './kafka.ts';

const props = (text: string) =>
  Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );

describe('serverProperties', () => {
  it('a single node is its own quorum and keeps one copy of everything', () => {
    const p = props(serverProperties(1, '/d', kafkaNodePorts(localPorts, 1)));
    expect(p['controller.quorum.voters']).toBe(`1@127.0.0.1:${localPorts.kafkaController}`);
    expect(p['offsets.topic.replication.factor']).toBe('1');
    expect(p['min.insync.replicas']).toBe('1');
  });

  it('each node of the cluster profile votes, listens on its own ports and replicates three times', () => {
    const nodes = kafkaNodePorts(localPorts, 3);
    const third = props(serverProperties(3, '/d3', nodes));
    expect(third['node.id']).toBe('3');
    expect(third['controller.quorum.voters']).toBe(
      nodes.map((n, i) => `${i + 1}@127.0.0.1:${n.controller}`).join(','),
    );
    expect(third.listeners).toBe(
      `PLAINTEXT://127.0.0.1:${localPorts.kafka3},CONTROLLER://127.0.0.1:${localPorts.kafkaController3}`,
    );
    expect(third).toMatchObject({
      'default.replication.factor': '3',
      'offsets.topic.replication.factor': '3',
      'transaction.state.log.replication.factor': '3',
      'transaction.state.log.min.isr': '2',
      'min.insync.replicas': '2',
    });
  });
});
