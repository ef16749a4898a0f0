import { describe, expect, it } from 'vitest';
import type { CapacityCosts, Figure } from './costs.ts';
import { LimitId } from './limits.ts';
import { type CapacityPlan, planCapacity } from './model.ts';

const f = (value: number): Figure => ({ value, provenance: 'assumed', source: 'test' });

/** Round figures, so that every count below can be checked by hand. */
const unit: CapacityCosts = {
  postgres: { perKEvents: f(0.1), perKTransactions: f(0.9) },
  emitters: { perKEvents: f(0.1), perKTransactions: f(0) },
  connect: { perKEvents: f(0.1), perKTransactions: f(0) },
  kafka: {
    writePerKEvents: f(0.01),
    readPerKEvents: f(0.01),
    replicationFactor: f(3),
    eventBytes: f(1000),
    networkBytesPerS: f(1e9),
    retentionMs: f(86_400_000),
    diskBytesPerBroker: f(1e12),
    maxReplicasPerBroker: f(4000),
  },
  groups: { a: f(0.2), b: f(0.1) },
  capture: { taskCores: f(1), keptUpWithEventsPerS: f(1000) },
  gateway: {
    cores: f(1),
    intakePerKEvents: f(0.05),
    perMDeliveries: f(10),
    bytesPerConnection: f(10_000),
    bytesPerChannel: f(0),
    memoryBytes: f(1e9),
    maxConnections: f(10_000),
    heartbeatMs: f(10_000),
    routesPerEvent: f(2),
  },
  topology: { eventTopics: f(5), partitionsPerTopic: f(12), partitionsPerMember: f(2), memberCores: f(1) },
  machine: { cores: f(8), headroom: f(2), minPerRole: f(2) },
};

const limit = (plan: CapacityPlan, id: LimitId) => plan.limits.find((l) => l.id === id)!.state;
const members = (plan: CapacityPlan) => Object.fromEntries(plan.groups.map((g) => [g.name, g.members.count]));

describe('planCapacity', () => {
  it('sizes a small load by availability and the replication factor', () => {
    // 1,000 events/s: PostgreSQL 1 core, Connect 0.1 (task ceiling 10,000/s, 5,000 planned),
    // groups 0.2 and 0.1 cores, 10,100 deliveries/s against 45,000 per node.
    const plan = planCapacity(unit, { eventsPerS: 1000, sseClients: 1000 });
    expect(plan.load.postgresCores).toBeCloseTo(1);
    expect(plan.load.captureCeilingEventsPerS).toBeCloseTo(10_000);
    expect(plan.databases.count).toBe(1);
    expect(plan.connectTasks.count).toBe(1);
    expect(plan.connectWorkers.count).toBe(2);
    expect(members(plan)).toEqual({ a: 2, b: 2 });
    expect(plan.partitionsPerTopic.count).toBe(12);
    expect(plan.load.deliveriesPerS).toBeCloseTo(10_100);
    expect(plan.gateway).toMatchObject({
      design: 'every-node-reads-all',
      shards: 1,
      connectionsPerNode: 5000,
    });
    expect(plan.gateway.deliveriesPerNode).toBeCloseTo(45_000);
    expect(plan.gateway.nodes.count).toBe(2);
    // Written 1,000/s × 3 replicas; served: 2 groups + 2 nodes + 2 followers × 1,000/s.
    expect(plan.load.kafkaReadsPerS).toBe(6000);
    expect(plan.load.kafkaCores).toBeCloseTo(0.09);
    expect(plan.brokers.count).toBe(3);
    expect(plan.brokers.binding.figures).toEqual(['kafka.replicationFactor']);
    expect(plan.limits.map((l) => l.state)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('needs a database per Debezium task past the task ceiling', () => {
    // 12,000 events/s at 5,000 per task: 3 databases; PostgreSQL at 10/tx needs one machine.
    const plan = planCapacity(unit, { eventsPerS: 12_000, eventsPerTransaction: 10, sseClients: 0 });
    expect(plan.load.postgresCores).toBeCloseTo(12 * 0.19);
    expect(plan.databases.count).toBe(3);
    expect(plan.databases.binding.reason).toMatch(/Debezium task per database/);
    expect(plan.databases.binding.figures).toContain('capture.taskCores');
    expect(plan.connectTasks.count).toBe(3);
    expect(limit(plan, LimitId.capturePerDatabase)).toBe('crossed');
    expect(plan.gateway.nodes.count).toBe(0);
  });

  it('sizes databases by PostgreSQL CPU when one transaction carries one event', () => {
    // 4,000 events/s at 1/tx: 4 cores busy × 2 on 8-core machines = 1; at 20,000: 20 × 2 / 8 = 5.
    expect(planCapacity(unit, { eventsPerS: 4000, sseClients: 0 }).limits[0]!.state).toBe('near');
    const plan = planCapacity(unit, { eventsPerS: 20_000, sseClients: 0 });
    expect(plan.databases.count).toBe(5);
    expect(plan.databases.binding.reason).toMatch(/^PostgreSQL/);
  });

  it('takes a measured task ceiling over the CPU bound, and the rate seen kept up with over a lower bound', () => {
    const measured = { ...unit, capture: { ...unit.capture, ceilingEventsPerS: f(3000) } };
    const plan = planCapacity(measured, { eventsPerS: 1000, sseClients: 0 });
    expect(plan.load.captureCeilingEventsPerS).toBe(3000);
    expect(limit(plan, LimitId.capturePerDatabase)).toBe('near');
    const slow = { ...unit, connect: { ...unit.connect, perKEvents: f(1.5) } };
    const floor = planCapacity(slow, { eventsPerS: 1000, sseClients: 0 });
    expect(floor.load.captureCeilingEventsPerS).toBe(1000);
    expect(floor.databases.candidates[1]!.figures).toEqual([
      'capture.keptUpWithEventsPerS',
      'machine.headroom',
    ]);
  });

  it('scales every CPU figure by cpuScale', () => {
    const plan = planCapacity(unit, {
      eventsPerS: 12_000,
      eventsPerTransaction: 10,
      sseClients: 0,
      cpuScale: 0.5,
    });
    expect(plan.load.captureCeilingEventsPerS).toBeCloseTo(20_000);
    expect(plan.databases.count).toBe(2);
  });

  it('plans channel shards once one node cannot read the whole stream', () => {
    // 10,000 events/s: intake 0.5 cores = the node's budget (1 core ÷ 2). Re-keyed stream
    // 20,000/s costs 1 core: 4 shards at 0.25 each leave 25,000 deliveries/s per node.
    const plan = planCapacity(unit, {
      eventsPerS: 10_000,
      eventsPerTransaction: 10,
      sseClients: 100_000,
    });
    expect(limit(plan, LimitId.gatewayReadsEverything)).toBe('crossed');
    expect(plan.gateway).toMatchObject({ design: 'channel-sharded', shards: 4, shardTopicPartitions: 8 });
    expect(plan.gateway.deliveriesPerNode).toBeCloseTo(25_000);
    // 110,000 deliveries/s need 5 nodes, 4 shards × 2 need 8, 100,000 streams at 5,000 need 20.
    expect(plan.gateway.nodes.candidates.map((c) => c.count)).toEqual([8, 20, 5]);
    expect(plan.gateway.nodes.count).toBe(20);
    expect(plan.gateway.router?.count).toBe(4);
    // Written: 10,000 events + 20,000 re-keyed; served: 3 groups × 10,000, 20 nodes × 5,000,
    // followers 2 × 30,000.
    expect(plan.load.kafkaWritesPerS).toBe(30_000);
    expect(plan.load.kafkaReadsPerS).toBe(190_000);
    expect(limit(plan, LimitId.gatewayBrokerReads)).toBe('near');
    // A day of 10,000 events/s of 1,000 bytes, 3 replicas: 2.59 TB, × 2 on 1 TB disks.
    expect(plan.brokers.count).toBe(6);
    expect(plan.brokers.binding.kind).toBe('disk');
  });

  it('warns past half of a node spent reading, before the limit', () => {
    const plan = planCapacity(unit, { eventsPerS: 6000, eventsPerTransaction: 10, sseClients: 10 });
    expect(plan.gateway.design).toBe('every-node-reads-all');
    expect(limit(plan, LimitId.gatewayReadsEverything)).toBe('near');
  });

  it('bounds a node by a measured fan-out ceiling, and by memory before SSE_MAX_CONNECTIONS', () => {
    const swept = { ...unit, gateway: { ...unit.gateway, ceilingDeliveriesPerS: f(4000) } };
    // 10,100 deliveries/s at 4,000 ÷ 2 per node.
    expect(planCapacity(swept, { eventsPerS: 1000, sseClients: 1000 }).gateway.nodes.count).toBe(6);
    const small = { ...unit, gateway: { ...unit.gateway, memoryBytes: f(2e7) } };
    const plan = planCapacity(small, { eventsPerS: 1000, sseClients: 10_000 });
    expect(plan.gateway.connectionsPerNode).toBe(1000);
    expect(plan.gateway.nodes.count).toBe(10);
    expect(plan.gateway.nodes.binding.reason).toMatch(/memory/);
  });

  it('plans partitions for the largest group and says when the topics have too few', () => {
    // Group a at 20,000 events/s: 4 cores × 2 = 8 members, 16 partitions planned: near.
    const near = planCapacity(unit, { eventsPerS: 20_000, eventsPerTransaction: 100, sseClients: 0 });
    expect(members(near)).toEqual({ a: 8, b: 4 });
    expect(near.partitionsPerTopic.count).toBe(16);
    expect(limit(near, LimitId.membersPerPartition)).toBe('near');
    const crossed = planCapacity(unit, { eventsPerS: 50_000, eventsPerTransaction: 100, sseClients: 0 });
    expect(crossed.partitionsPerTopic.count).toBe(40);
    expect(limit(crossed, LimitId.membersPerPartition)).toBe('crossed');
  });
});
