import { z } from 'zod';
import { InvalidArgumentError } from '../../core/errors.ts';

/** Where a figure of the capacity model comes from. */
export const Provenance = {
  /** Measured on this workplace's current machine (a 2-core PVM guest). */
  measuredHere: 'measured-here',
  /** Measured on the machine of sessions 1–2 (not comparable in CPU: see the root README). */
  measuredEarlier: 'measured-earlier',
  /** Derived from measured figures by a stated rule (a fit, a ratio, a single-thread bound). */
  extrapolated: 'extrapolated',
  /** Chosen, not measured: a planning rule or a published guideline. */
  assumed: 'assumed',
  /** A default of Outstream's own code or declarations (`infra/topics`, the gateway's config). */
  configured: 'configured',
} as const;
export type Provenance = (typeof Provenance)[keyof typeof Provenance];

/** One input of the capacity model, with where it comes from. */
export interface Figure {
  value: number;
  provenance: Provenance;
  /** The command and date it was measured with, or the rule it was derived or chosen by. */
  source: string;
  /** Set while the figure waits for a measurement: the command that will give it. */
  pending?: string;
}

/** A cost with a part per event and a part per transaction (core-seconds per 1,000 of each). */
export interface TxCost {
  perKEvents: Figure;
  perKTransactions: Figure;
}

/**
 * The capacity model's inputs: what each component costs in CPU, and the limits and planning
 * rules it is sized by. CPU figures are core-seconds per 1,000 events unless named otherwise.
 */
export interface CapacityCosts {
  /** PostgreSQL: outbox writes, WAL and its logical decoding, the groups' own tables. */
  postgres: TxCost;
  /** The services that emit (the benchmark's load generator): theirs to run, shown for scale. */
  emitters: TxCost;
  /** Kafka Connect with the Debezium task. */
  connect: TxCost;
  kafka: {
    /** Broker CPU to append 1,000 records to one replica. */
    writePerKEvents: Figure;
    /** Broker CPU to serve 1,000 records to one reader (a group, a gateway node, a follower). */
    readPerKEvents: Figure;
    replicationFactor: Figure;
    /** Bytes of one record on the wire (payload, key, headers, batch overhead). */
    eventBytes: Figure;
    /** Usable network bytes per second of one broker, each direction. */
    networkBytesPerS: Figure;
    /** How long the events topics keep records (SSE resume, rebuilds, replays). */
    retentionMs: Figure;
    /** Usable log disk of one broker. */
    diskBytesPerBroker: Figure;
    maxReplicasPerBroker: Figure;
  };
  /** Each consumer group's CPU per 1,000 events, by group name. */
  groups: Record<string, Figure>;
  capture: {
    /** Cores one Debezium task can use: it streams the slot on one thread. */
    taskCores: Figure;
    /** The highest rate a capture sweep saw the task keep up with (a lower bound of its ceiling). */
    keptUpWithEventsPerS: Figure;
    /** The task's measured ceiling, once a sweep finds it; without it the CPU bound is used. */
    ceilingEventsPerS?: Figure;
  };
  gateway: {
    /** Cores one gateway node (one Node.js process) can use. */
    cores: Figure;
    /** CPU to read, decode and route the whole stream, paid by every node whatever its clients. */
    intakePerKEvents: Figure;
    /** CPU per 1,000,000 writes to streams (events and heartbeats). */
    perMDeliveries: Figure;
    /** One node's measured fan-out ceiling (deliveries/s), when a sweep has found it. */
    ceilingDeliveriesPerS?: Figure;
    bytesPerConnection: Figure;
    bytesPerChannel: Figure;
    /** Memory one node may give its streams. */
    memoryBytes: Figure;
    /** Streams one node accepts (`SSE_MAX_CONNECTIONS`). */
    maxConnections: Figure;
    heartbeatMs: Figure;
    /** Channels an event reaches (booking and hotel, say): the re-keyed stream of a sharded gateway. */
    routesPerEvent: Figure;
  };
  topology: {
    /** `events.<aggregate>` topics: every group and every gateway node reads them all. */
    eventTopics: Figure;
    /** Partitions each events topic has today (`infra/topics`). */
    partitionsPerTopic: Figure;
    /** Partitions planned per member, so a group can grow without repartitioning keyed topics. */
    partitionsPerMember: Figure;
    /** Cores one group member (one Node.js process) can use. */
    memberCores: Figure;
  };
  machine: {
    /** Cores of one machine for the multi-threaded parts (PostgreSQL, Connect, Kafka). */
    cores: Figure;
    /** Capacity ÷ planned load: 1.5 runs every part at two thirds of what it can do. */
    headroom: Figure;
    /** Fewest processes of a role, so that one can fail. */
    minPerRole: Figure;
  };
}

/** Costs or a target failed validation; `fields` are the dotted paths of the bad inputs. */
export class CapacityInputError extends InvalidArgumentError {
  readonly fields: readonly string[];
  constructor(issues: readonly { field: string; message: string }[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`));
    this.fields = issues.map((i) => i.field);
  }
}

const provenanceSchema = z.enum(Object.values(Provenance) as [Provenance, ...Provenance[]]);
const figureOf = (value: z.ZodNumber) =>
  z.strictObject({
    value,
    provenance: provenanceSchema,
    source: z.string().min(1),
    pending: z.string().min(1).optional(),
  });
const cost = figureOf(z.number().min(0));
const positive = figureOf(z.number().positive());
const whole = figureOf(z.number().int().min(1));
const txCost = z.strictObject({ perKEvents: cost, perKTransactions: cost });

const costsSchema = z.strictObject({
  postgres: txCost,
  emitters: txCost,
  connect: txCost,
  kafka: z.strictObject({
    writePerKEvents: cost,
    readPerKEvents: cost,
    replicationFactor: whole,
    eventBytes: positive,
    networkBytesPerS: positive,
    retentionMs: positive,
    diskBytesPerBroker: positive,
    maxReplicasPerBroker: whole,
  }),
  groups: z.record(z.string().min(1), cost),
  capture: z.strictObject({
    taskCores: positive,
    keptUpWithEventsPerS: figureOf(z.number().min(0)),
    ceilingEventsPerS: positive.optional(),
  }),
  gateway: z.strictObject({
    cores: positive,
    intakePerKEvents: cost,
    perMDeliveries: cost,
    ceilingDeliveriesPerS: positive.optional(),
    bytesPerConnection: positive,
    bytesPerChannel: figureOf(z.number().min(0)),
    memoryBytes: positive,
    maxConnections: whole,
    heartbeatMs: positive,
    routesPerEvent: figureOf(z.number().min(1)),
  }),
  topology: z.strictObject({
    eventTopics: whole,
    partitionsPerTopic: whole,
    partitionsPerMember: figureOf(z.number().min(1)),
    memberCores: positive,
  }),
  machine: z.strictObject({
    cores: positive,
    headroom: figureOf(z.number().min(1)),
    minPerRole: whole,
  }),
});

/** Zod issues as field paths under `prefix` (an unknown key is named by its own path). */
export function fieldIssues(prefix: string, issues: readonly z.core.$ZodIssue[]) {
  return issues.flatMap((i) => {
    const at = [prefix, ...i.path.map(String)].join('.');
    if (i.code === 'unrecognized_keys')
      return i.keys.map((k) => ({ field: `${at}.${k}`, message: 'unknown field' }));
    return [{ field: at, message: i.message }];
  });
}

/**
 * Checks a whole cost table.
 *
 * @throws CapacityInputError naming each bad field (`costs.gateway.heartbeatMs.value`).
 */
export function validateCosts(costs: unknown): CapacityCosts {
  const parsed = costsSchema.safeParse(costs);
  if (!parsed.success) throw new CapacityInputError(fieldIssues('costs', parsed.error.issues));
  if (Object.keys(parsed.data.groups).length === 0)
    throw new CapacityInputError([{ field: 'costs.groups', message: 'at least one consumer group' }]);
  return parsed.data as CapacityCosts;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The cost table with `overrides` laid over `base` (pure): a figure given in the overrides
 * replaces the base's whole; a bare number stands for `{ value, provenance: 'assumed', source: label }`.
 * Anything else is merged key by key, so a file may hold only the figures it changes.
 *
 * @throws CapacityInputError naming each bad or unknown field of the result.
 * @example
 * applyCosts(measuredCosts, { gateway: { perMDeliveries: 12 } }, '--costs sweep.json');
 */
export function applyCosts(base: CapacityCosts, overrides: unknown, label: string): CapacityCosts {
  if (!isRecord(overrides))
    throw new CapacityInputError([{ field: 'costs', message: 'expected a JSON object' }]);
  const merge = (into: unknown, over: unknown): unknown => {
    if (typeof over === 'number') return { value: over, provenance: Provenance.assumed, source: label };
    if (!isRecord(over) || 'value' in over || !isRecord(into)) return over;
    const out: Record<string, unknown> = { ...into };
    for (const [k, v] of Object.entries(over)) out[k] = merge(into[k], v);
    return out;
  };
  return validateCosts(merge(base, overrides));
}

/** Every figure of a cost table with its dotted path (`gateway.intakePerKEvents`), in table order. */
export function figuresOf(costs: CapacityCosts): [string, Figure][] {
  const out: [string, Figure][] = [];
  const walk = (node: unknown, path: string[]) => {
    if (!isRecord(node)) return;
    if ('value' in node && 'provenance' in node) out.push([path.join('.'), node as unknown as Figure]);
    else for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
  };
  walk(costs, []);
  return out;
}
