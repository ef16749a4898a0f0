import { n0, n2 } from './format.ts';
import type { CapacityTarget } from './target.ts';

/** The limits the design has, whatever is added. */
export const LimitId = {
  /** One Debezium task, one replication slot, one walsender per database. */
  capturePerDatabase: 'capture-per-database',
  /** Every gateway node reads every partition of every events topic. */
  gatewayReadsEverything: 'gateway-reads-everything',
  /** A group uses at most as many members as the topics have partitions. */
  membersPerPartition: 'members-per-partition',
  /** Every gateway node is one more reader of the whole stream for the brokers. */
  gatewayBrokerReads: 'gateway-broker-reads',
} as const;
export type LimitId = (typeof LimitId)[keyof typeof LimitId];

/** Where a target stands against one limit, and what to change past it. */
export interface Limit {
  id: LimitId;
  /** `near`: within the limit but past half of it (or past the planned room). */
  state: 'ok' | 'near' | 'crossed';
  detail: string;
  change: string;
}

/** What {@link limitsOf} judges a target by (computed by the model). */
export interface LimitInputs {
  t: CapacityTarget;
  perDatabase: number;
  ceiling: number;
  databasesByCapture: number;
  intakeOne: number;
  budget: number;
  shards: number;
  gatewayNodes: number;
  maxMembers: number;
  partitionsNow: number;
  ppm: number;
  gatewayShare: number;
}

const state = (crossed: boolean, near: boolean): Limit['state'] =>
  crossed ? 'crossed' : near ? 'near' : 'ok';

/** Where a target stands against each of the design's limits, and what to change past it (pure). */
export function limitsOf(x: LimitInputs): Limit[] {
  const rate = x.t.eventsPerS;
  return [
    {
      id: LimitId.capturePerDatabase,
      state: state(x.databasesByCapture > 1, rate > x.perDatabase / 2),
      detail:
        `one Debezium task (one replication slot, one walsender) per database: ${n0(rate)} events/s against ` +
        `${n0(x.perDatabase)} planned per task (ceiling ${n0(x.ceiling)}); ${x.databasesByCapture} database(s) by capture alone`,
      change:
        'shard the outbox by aggregate id across databases, one connector and slot each (an aggregate always ' +
        'writes to the same shard, so its sequence and key order hold); or, inside one database, row-filtered ' +
        'publications (PostgreSQL ≥ 15) with a slot each — every walsender decodes the whole WAL, so measure ' +
        "the database's CPU first",
    },
    {
      id: LimitId.gatewayReadsEverything,
      state: state(x.intakeOne >= x.budget, x.intakeOne > x.budget / 2),
      detail:
        `every gateway node reads all ${n0(rate)} events/s: ${n2(x.intakeOne)} cores of a node's ${n2(x.budget)} planned` +
        (x.shards > 1
          ? `; planned instead as ${x.shards} channel shards`
          : `; ${x.gatewayNodes} nodes spend ${n2(x.gatewayNodes * x.intakeOne)} cores reading the same stream`),
      change:
        'channel-sharded gateways: a router group re-keys each event by channel onto a realtime topic; each node ' +
        'pool reads only its shard’s partitions and the balancer sends a client to the pool of its channels ' +
        '(positions stay Kafka offsets, of that topic). Or a fan-out tier: a few reader nodes decode and route ' +
        'once and forward frames to edge nodes by channel subscription',
    },
    {
      id: LimitId.membersPerPartition,
      state: state(x.maxMembers > x.partitionsNow, x.maxMembers * x.ppm > x.partitionsNow),
      detail: `the largest group needs ${x.maxMembers} members; the events topics have ${x.partitionsNow} partitions each`,
      change:
        'members beyond the partitions sit idle: create the topics with the planned partitions before the load ' +
        'comes (adding partitions to a keyed topic moves keys, so `topics apply` refuses without ' +
        '--allow-repartition), or migrate to new topics with more partitions and move readers over',
    },
    {
      id: LimitId.gatewayBrokerReads,
      state: state(false, x.gatewayShare > 0.5),
      detail: `gateway nodes take ${(x.gatewayShare * 100).toFixed(0)}% of the records the brokers serve`,
      change:
        'each node is one more reader of the whole stream: fetch from follower replicas (KIP-392, ' +
        'replica.selector.class) spreads those reads; the channel-sharded design or a fan-out tier removes them',
    },
  ];
}
