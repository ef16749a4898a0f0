import { n0, n2 } from './format.ts';
import { type Candidate, ceil, type Sized, type SizingContext, sized } from './sizing.ts';

/** How the gateway is laid out: today's design, or the one past its hard limit. */
export type GatewayDesign = 'every-node-reads-all' | 'channel-sharded';

/** The gateway's part of a plan. */
export interface GatewayPlan {
  design: GatewayDesign;
  /** Channel shards (1 in today's design): node pools each reading a part of a re-keyed stream. */
  shards: number;
  nodes: Sized;
  /** Streams one node is planned to hold (after headroom). */
  connectionsPerNode: number;
  /** Deliveries per second one node is planned to write (after headroom and its intake). */
  deliveriesPerNode: number;
  /** The group that re-keys events by channel, in the sharded design. */
  router?: Sized;
  /** Partitions of the re-keyed `realtime` topic, in the sharded design. */
  shardTopicPartitions?: number;
}

/** What the rest of the plan needs to know of the gateway's sizing. */
export interface GatewaySizing {
  plan: GatewayPlan;
  /** One node's CPU to read the whole stream in today's design. */
  intakeOne: number;
  /** One node's planned CPU (its cores ÷ headroom). */
  budget: number;
  /** Every node's reading and writing, in cores. */
  busyCores: number;
  deliveriesPerS: number;
  /** Records the sharded design writes to the re-keyed topic per event (0 in today's design). */
  rekeyedPerEvent: number;
  /** Full-stream-equivalent reads the nodes ask of the brokers, per event. */
  readsPerEvent: number;
}

/**
 * Sizes the gateway (pure). Every node of today's design reads the whole stream, so its intake
 * is fixed whatever the node count; while that fits in a node's budget the nodes are sized by
 * streams held and deliveries written. Past it (intake ≥ budget), the plan is for the
 * channel-sharded design: a router group re-keys each event by channel (`routesPerEvent`
 * records), and node pools each read one shard, sized so a node spends at most half its budget
 * reading.
 */
export function planGateway(x: SizingContext): GatewaySizing {
  const { c, t, k, headroom } = x;
  const g = c.gateway;
  const s = t.cpuScale;
  const least = c.machine.minPerRole.value;
  const budget = g.cores.value / headroom;
  const intakeOne = k * g.intakePerKEvents.value * s;
  const perDelivery = (g.perMDeliveries.value * s) / 1e6;
  const deliveriesPerS = t.eventsPerS * t.deliveriesPerEvent + (t.sseClients * 1000) / g.heartbeatMs.value;
  const byMemory =
    g.memoryBytes.value / (g.bytesPerConnection.value + t.channelsPerClient * g.bytesPerChannel.value);
  const memoryBound = byMemory < g.maxConnections.value;
  const connectionsPerNode = Math.max(1, Math.floor(Math.min(g.maxConnections.value, byMemory) / headroom));
  const sharded = intakeOne >= budget;
  const routes = g.routesPerEvent.value;
  const shardedIntake = k * routes * g.intakePerKEvents.value * s;
  const shards = sharded ? ceil(shardedIntake / (budget / 2)) : 1;
  const nodeIntake = sharded ? shardedIntake / shards : intakeOne;
  const byCpu = perDelivery > 0 ? (budget - nodeIntake) / perDelivery : Number.POSITIVE_INFINITY;
  const deliveriesPerNode = Math.min(
    byCpu,
    g.ceilingDeliveriesPerS ? g.ceilingDeliveriesPerS.value / headroom : byCpu,
  );

  const floor: Candidate = sharded
    ? {
        count: least * shards,
        kind: 'availability',
        reason: `${least} per shard × ${shards} shards`,
        figures: ['machine.minPerRole'],
      }
    : x.availability;
  const nodes =
    t.sseClients === 0
      ? sized([{ count: 0, kind: 'no clients', reason: 'no SSE clients', figures: [] }])
      : sized([
          floor,
          {
            count: ceil(t.sseClients / connectionsPerNode),
            kind: 'streams',
            reason: `${n0(connectionsPerNode)} streams per node (${memoryBound ? 'memory' : 'SSE_MAX_CONNECTIONS'} ÷ headroom)`,
            figures: memoryBound
              ? [
                  'gateway.memoryBytes',
                  'gateway.bytesPerConnection',
                  'gateway.bytesPerChannel',
                  'machine.headroom',
                ]
              : ['gateway.maxConnections', 'machine.headroom'],
          },
          {
            count: ceil(deliveriesPerS / deliveriesPerNode),
            kind: 'fan-out',
            reason:
              `${n0(deliveriesPerS)} deliveries/s (events × ${t.deliveriesPerEvent} + heartbeats) at ≤ ${n0(deliveriesPerNode)} ` +
              `per node (${n2(budget)} core budget, ${n2(nodeIntake)} of it reading ${sharded ? 'its shard' : 'the whole stream'})`,
            figures: [
              'gateway.cores',
              'gateway.intakePerKEvents',
              'gateway.perMDeliveries',
              'gateway.heartbeatMs',
              'machine.headroom',
              ...(g.ceilingDeliveriesPerS ? ['gateway.ceilingDeliveriesPerS'] : []),
            ],
          },
        ]);

  const routerCost = Math.max(...Object.values(c.groups).map((f) => f.value)) * s;
  const router = sharded
    ? sized([
        x.availability,
        {
          count: ceil((k * routerCost * headroom) / c.topology.memberCores.value),
          kind: 'cpu',
          reason: `re-keys every event by channel; taken to cost as much as the costliest group (${n2(k * routerCost)} cores busy)`,
          figures: Object.keys(c.groups).map((n) => `groups.${n}`),
        },
      ])
    : undefined;

  return {
    plan: {
      design: sharded ? 'channel-sharded' : 'every-node-reads-all',
      shards,
      nodes,
      connectionsPerNode,
      deliveriesPerNode,
      ...(router ? { router } : {}),
      ...(sharded ? { shardTopicPartitions: ceil(shards * c.topology.partitionsPerMember.value) } : {}),
    },
    intakeOne,
    budget,
    busyCores: nodes.count * nodeIntake + deliveriesPerS * perDelivery,
    deliveriesPerS,
    rekeyedPerEvent: sharded ? routes : 0,
    readsPerEvent: sharded ? (routes * nodes.count) / shards : nodes.count,
  };
}
