import { planBrokers } from './broker-plan.ts';
import { type CapacityCosts, validateCosts } from './costs.ts';
import { n0, n2 } from './format.ts';
import { type GatewayPlan, planGateway } from './gateway-plan.ts';
import { type Limit, limitsOf } from './limits.ts';
import { ceil, type Sized, sized, sizingContext, txPaths } from './sizing.ts';
import { type CapacityTarget, type CapacityTargetInput, validateTarget } from './target.ts';

/** What a target needs, role by role, and where it stands against the design's limits. */
export interface CapacityPlan {
  target: CapacityTarget;
  /** Busy cores per component at the target (before headroom), and the traffic behind them. */
  load: {
    postgresCores: number;
    emitterCores: number;
    connectCores: number;
    kafkaCores: number;
    groupCores: Record<string, number>;
    gatewayCores: number;
    kafkaWritesPerS: number;
    /** Records served to readers and followers per second. */
    kafkaReadsPerS: number;
    brokerEgressBytesPerS: number;
    deliveriesPerS: number;
    /** One node's CPU to read the whole stream (today's design). */
    gatewayIntakeCores: number;
    captureCeilingEventsPerS: number;
  };
  databases: Sized;
  connectTasks: Sized;
  connectWorkers: Sized;
  brokers: Sized;
  partitionsPerTopic: Sized;
  groups: { name: string; members: Sized }[];
  gateway: GatewayPlan;
  limits: Limit[];
}

/**
 * Plans the processes, machines and partitions a target needs (pure): each role sized by the
 * largest of its reasons (CPU, connections, network, availability, a hard one-per rule), and the
 * design's limits, each `ok`, `near` or `crossed` with what to change past it. Past the gateway's
 * limit, the plan is for the channel-sharded design instead of today's.
 *
 * @throws CapacityInputError naming each bad field of `costs` or `target`.
 * @example
 * const plan = planCapacity(measuredCosts, { eventsPerS: 10_000, sseClients: 100_000 });
 * plan.gateway.nodes.count; // and plan.gateway.nodes.binding.reason says why
 */
export function planCapacity(costsInput: CapacityCosts, targetInput: CapacityTargetInput): CapacityPlan {
  const c = validateCosts(costsInput);
  const t = validateTarget(targetInput);
  const x = sizingContext(c, t);
  const { k, headroom, machineCores, perK, availability } = x;
  const cpu = ['machine.cores', 'machine.headroom'];

  // Capture: PostgreSQL, and one Debezium task per database.
  const postgresCores = k * perK(c.postgres);
  const connectCores = k * perK(c.connect);
  const measured = c.capture.ceilingEventsPerS;
  const cpuBound = (c.capture.taskCores.value * 1000) / perK(c.connect);
  const seen = c.capture.keptUpWithEventsPerS.value;
  const [ceiling, ceilingFigures, ceilingWhy] = measured
    ? [measured.value, ['capture.ceilingEventsPerS'], 'measured']
    : cpuBound >= seen
      ? [cpuBound, ['capture.taskCores', ...txPaths('connect')], "its one thread's CPU bound"]
      : [seen, ['capture.keptUpWithEventsPerS'], 'the rate it was seen to keep up with'];
  const perDatabase = ceiling / headroom;
  const databasesByCapture = ceil(t.eventsPerS / perDatabase);
  const databases = sized([
    { count: 1, kind: 'one', reason: 'one database', figures: [] },
    {
      count: databasesByCapture,
      kind: 'capture',
      reason: `one Debezium task per database carries ≤ ${n0(perDatabase)} events/s (ceiling ${n0(ceiling)}, ${ceilingWhy}, ÷ headroom)`,
      figures: [...ceilingFigures, 'machine.headroom'],
    },
    {
      count: ceil((postgresCores * headroom) / machineCores),
      kind: 'cpu',
      reason: `PostgreSQL: ${n2(postgresCores)} cores busy, with headroom, on ${machineCores}-core machines`,
      figures: [...txPaths('postgres'), ...cpu],
    },
  ]);
  const connectTasks = sized([
    {
      count: databases.count,
      kind: 'one per database',
      reason: 'one per database: the PostgreSQL connector has one task and one replication slot',
      figures: [],
    },
  ]);
  const connectWorkers = sized([
    availability,
    {
      count: ceil((connectCores * headroom) / machineCores),
      kind: 'cpu',
      reason: `Connect: ${n2(connectCores)} cores busy, with headroom, on ${machineCores}-core machines`,
      figures: [...txPaths('connect'), ...cpu],
    },
  ]);

  // Consumer groups: members by CPU, one core each.
  const memberCores = c.topology.memberCores.value;
  const groups = Object.entries(c.groups).map(([name, f]) => {
    const cores = k * f.value * t.cpuScale;
    const members = sized([
      availability,
      {
        count: ceil((cores * headroom) / memberCores),
        kind: 'cpu',
        reason: `${n2(cores)} cores busy, with headroom, at ${memberCores} core per member`,
        figures: [`groups.${name}`, 'topology.memberCores', 'machine.headroom'],
      },
    ]);
    return { name, cores, members };
  });

  const gateway = planGateway(x);
  const router = gateway.plan.router;

  // Partitions: a group uses at most as many members as there are partitions.
  const ppm = c.topology.partitionsPerMember.value;
  const partitionsNow = c.topology.partitionsPerTopic.value;
  const maxMembers = Math.max(...groups.map((g) => g.members.count), router?.count ?? 0);
  const partitionsPerTopic = sized([
    {
      count: partitionsNow,
      kind: 'today',
      reason: 'what the events topics have today',
      figures: ['topology.partitionsPerTopic'],
    },
    {
      count: ceil(maxMembers * ppm),
      kind: 'members',
      reason: `${maxMembers} members in the largest group × ${ppm} partitions per member (members ≤ partitions; sized as if one topic carried all events)`,
      figures: ['topology.partitionsPerMember'],
    },
  ]);

  const kafka = planBrokers(x, {
    groupReaders: groups.length + (router ? 1 : 0),
    rekeyedPerEvent: gateway.rekeyedPerEvent,
    gatewayReadsPerEvent: gateway.readsPerEvent,
    partitions:
      c.topology.eventTopics.value * partitionsPerTopic.count + (gateway.plan.shardTopicPartitions ?? 0),
    retainedPerS: t.eventsPerS,
  });

  return {
    target: t,
    load: {
      postgresCores,
      emitterCores: k * perK(c.emitters),
      connectCores,
      kafkaCores: kafka.cores,
      groupCores: Object.fromEntries(groups.map((g) => [g.name, g.cores])),
      gatewayCores: gateway.busyCores,
      kafkaWritesPerS: kafka.writesPerS,
      kafkaReadsPerS: kafka.readsPerS,
      brokerEgressBytesPerS: kafka.egressBytesPerS,
      deliveriesPerS: gateway.deliveriesPerS,
      gatewayIntakeCores: gateway.intakeOne,
      captureCeilingEventsPerS: ceiling,
    },
    databases,
    connectTasks,
    connectWorkers,
    brokers: kafka.brokers,
    partitionsPerTopic,
    groups: groups.map((g) => ({ name: g.name, members: g.members })),
    gateway: gateway.plan,
    limits: limitsOf({
      t,
      perDatabase,
      ceiling,
      databasesByCapture,
      intakeOne: gateway.intakeOne,
      budget: gateway.budget,
      shards: gateway.plan.shards,
      gatewayNodes: gateway.plan.nodes.count,
      maxMembers,
      partitionsNow,
      ppm,
      gatewayShare: kafka.gatewayShare,
    }),
  };
}
