import { n0, n2, sig } from './format.ts';
import { ceil, type Sized, type SizingContext, sized } from './sizing.ts';

/** What the brokers carry, from the rest of the plan. */
export interface BrokerTraffic {
  /** Groups reading the whole stream (the router of a sharded gateway included). */
  groupReaders: number;
  /** Records a sharded gateway's router writes per event (0 in today's design). */
  rekeyedPerEvent: number;
  /** Full-stream-equivalent reads the gateway nodes make, per event. */
  gatewayReadsPerEvent: number;
  /** Partitions of all the topics the plan declares (before replication). */
  partitions: number;
  /** Records per second the events topics keep for their retention (not a re-keyed topic's minutes). */
  retainedPerS: number;
}

/** The brokers' part of a plan. */
export interface BrokerSizing {
  brokers: Sized;
  cores: number;
  writesPerS: number;
  /** Records served to readers and to follower replicas per second. */
  readsPerS: number;
  egressBytesPerS: number;
  /** The gateway nodes' share of the records served. */
  gatewayShare: number;
}

/**
 * Sizes the brokers (pure) by the replication factor, CPU, network, disk and partition replicas. Each
 * record is appended once per replica; each follower fetches it once, and so does every reader
 * of the stream — every group, and every gateway node of today's design.
 */
export function planBrokers(x: SizingContext, traffic: BrokerTraffic): BrokerSizing {
  const { t, headroom, machineCores } = x;
  const kf = x.c.kafka;
  const rf = kf.replicationFactor.value;
  const writesPerS = t.eventsPerS * (1 + traffic.rekeyedPerEvent);
  const gatewayReadsPerS = t.eventsPerS * traffic.gatewayReadsPerEvent;
  const readsPerS = t.eventsPerS * traffic.groupReaders + gatewayReadsPerS + writesPerS * (rf - 1);
  const cores =
    ((writesPerS * rf * kf.writePerKEvents.value + readsPerS * kf.readPerKEvents.value) / 1000) * t.cpuScale;
  const egressBytesPerS = readsPerS * kf.eventBytes.value;
  const ingressBytesPerS = writesPerS * rf * kf.eventBytes.value;
  const replicas = traffic.partitions * rf;
  const retainedBytes = ((traffic.retainedPerS * kf.retentionMs.value) / 1000) * kf.eventBytes.value * rf;
  const brokers = sized([
    {
      count: rf,
      kind: 'replication',
      reason: `replication factor ${rf}: one replica per broker`,
      figures: ['kafka.replicationFactor'],
    },
    {
      count: ceil((cores * headroom) / machineCores),
      kind: 'cpu',
      reason:
        `${n2(cores)} cores busy (${n0(writesPerS)} records/s written × ${rf}, ${n0(readsPerS)} served), ` +
        `with headroom, on ${machineCores}-core machines`,
      figures: [
        'kafka.writePerKEvents',
        'kafka.readPerKEvents',
        'kafka.replicationFactor',
        'machine.cores',
        'machine.headroom',
      ],
    },
    {
      count: ceil((Math.max(egressBytesPerS, ingressBytesPerS) * headroom) / kf.networkBytesPerS.value),
      kind: 'network',
      reason: `${n0(egressBytesPerS / 1e6)} MB/s out of the brokers, with headroom`,
      figures: ['kafka.eventBytes', 'kafka.networkBytesPerS', 'machine.headroom'],
    },
    {
      count: ceil((retainedBytes * headroom) / kf.diskBytesPerBroker.value),
      kind: 'disk',
      reason: `${n0(retainedBytes / 1e12)} TB kept (${sig(kf.retentionMs.value / 86_400_000)} days × ${rf} replicas), with headroom`,
      figures: [
        'kafka.retentionMs',
        'kafka.eventBytes',
        'kafka.diskBytesPerBroker',
        'kafka.replicationFactor',
      ],
    },
    {
      count: ceil(replicas / kf.maxReplicasPerBroker.value),
      kind: 'replicas',
      reason: `${n0(replicas)} partition replicas`,
      figures: ['kafka.maxReplicasPerBroker', 'topology.eventTopics'],
    },
  ]);
  return {
    brokers,
    cores,
    writesPerS,
    readsPerS,
    egressBytesPerS,
    gatewayShare: readsPerS > 0 ? gatewayReadsPerS / readsPerS : 0,
  };
}
