import { formatTable } from '../ops/table.ts';
import { type CapacityCosts, type Figure, figuresOf, type Provenance } from './costs.ts';
import { captureSweepCommand, fanoutSweepCommand } from './figures.ts';
import { n0, n2, sig } from './format.ts';
import type { CapacityPlan } from './model.ts';
import type { Sized } from './sizing.ts';

const tag: Record<Provenance, string> = {
  'measured-here': 'measured here',
  'measured-earlier': 'measured earlier',
  extrapolated: 'extrapolated',
  assumed: 'assumed',
  configured: 'configured',
};

/** The provenances of the figures a count rests on, in the cost table's words. */
function provenanceOf(s: Sized, figures: ReadonlyMap<string, Figure>): string {
  const kinds = new Set<string>();
  let pending = false;
  for (const path of s.binding.figures) {
    const f = figures.get(path);
    if (!f) continue;
    kinds.add(tag[f.provenance]);
    pending ||= f.pending !== undefined;
  }
  if (pending) kinds.add('PENDING');
  return kinds.size === 0 ? 'rule' : [...kinds].join(', ');
}

/** Every role of a plan, named, in the order the pipeline runs. */
function rolesOf(plan: CapacityPlan): [string, Sized][] {
  return [
    ['databases (outbox)', plan.databases],
    ['Connect tasks', plan.connectTasks],
    ['Connect workers', plan.connectWorkers],
    ['Kafka brokers', plan.brokers],
    ['partitions per events topic', plan.partitionsPerTopic],
    ...plan.groups.map((g): [string, Sized] => [`members: ${g.name}`, g.members]),
    ...(plan.gateway.router ? [['members: realtime router', plan.gateway.router] as [string, Sized]] : []),
    ['gateway nodes', plan.gateway.nodes],
  ];
}

const busyCores = (plan: CapacityPlan) => {
  const l = plan.load;
  const groups = Object.values(l.groupCores).reduce((a, b) => a + b, 0);
  return { groups, outstream: l.postgresCores + l.connectCores + l.kafkaCores + groups + l.gatewayCores };
};

/**
 * A plan as text (pure): the count of each role with what sets it and the provenance of the
 * figures behind that, the busy cores per component, each limit with what to change past it,
 * and (unless `figures: false`) the figures with their provenance. `sources` adds where each
 * figure comes from; `candidates`, every reason of each count, not only the one that sets it.
 */
export function renderPlan(
  plan: CapacityPlan,
  costs: CapacityCosts,
  options: { sources?: boolean; candidates?: boolean; figures?: boolean } = {},
): string[] {
  const t = plan.target;
  const figures = new Map(figuresOf(costs));
  const roles = rolesOf(plan);
  const l = plan.load;
  const gw = plan.gateway;
  return [
    `capacity plan: ${n0(t.eventsPerS)} events/s (${sig(t.eventsPerTransaction)} per transaction), ` +
      `${n0(t.sseClients)} SSE clients (${t.channelsPerClient} channels each, ${sig(t.deliveriesPerEvent)} deliveries per event)`,
    settingsLine(plan, costs),
    '',
    ...formatTable(
      [
        ['ROLE', 'COUNT', 'SET BY', 'FIGURES'],
        ...roles.map(([name, s]) => [name, n0(s.count), s.binding.reason, provenanceOf(s, figures)]),
      ],
      ['left', 'right', 'left', 'left'],
    ),
    ...(options.candidates
      ? [
          '',
          'every reason, per role',
          ...roles.flatMap(([name, s]) => [
            `  ${name}`,
            ...s.candidates.map((c) => `    ${n0(c.count).padStart(7)}  ${c.reason}`),
          ]),
        ]
      : []),
    '',
    `busy cores at the target, before headroom: PostgreSQL ${n2(l.postgresCores)}, Connect ${n2(l.connectCores)}, ` +
      `Kafka ${n2(l.kafkaCores)}, groups ${n2(busyCores(plan).groups)}, gateway ${n2(l.gatewayCores)}; ` +
      `the emitting services ${n2(l.emitterCores)} (theirs to run)`,
    `gateway: ${gw.design}${gw.shards > 1 ? ` in ${gw.shards} shards` : ''}, ${n0(gw.connectionsPerNode)} streams and ` +
      `≤ ${n0(gw.deliveriesPerNode)} deliveries/s per node; ${n0(l.deliveriesPerS)} deliveries/s in all` +
      (gw.shardTopicPartitions ? `; realtime topic of ${gw.shardTopicPartitions} partitions` : ''),
    `Kafka: ${n0(l.kafkaWritesPerS)} records/s written, ${n0(l.kafkaReadsPerS)} served (followers included), ` +
      `${n0(l.brokerEgressBytesPerS / 1e6)} MB/s out`,
    '',
    'limits',
    ...plan.limits.flatMap((x) => [
      `  ${`[${x.state.toUpperCase()}]`.padEnd(10)}${x.id}: ${x.detail}`,
      ...(x.state === 'ok' ? [] : [`  ${''.padEnd(10)}past it: ${x.change}`]),
    ]),
    ...(options.figures === false ? [] : ['', ...figuresTable(costs, options.sources ?? false)]),
  ];
}

function settingsLine(plan: CapacityPlan, costs: CapacityCosts): string {
  const scale = plan.target.cpuScale;
  return (
    `CPU figures × ${sig(scale)}${scale === 1 ? " (this machine's: every system call traps to the hypervisor; see --cpu-scale)" : ''}; ` +
    `headroom ${sig(costs.machine.headroom.value)}, ${sig(costs.machine.cores.value)}-core machines`
  );
}

const short = (x: number) => (x >= 1e6 ? `${sig(x / 1e6)}M` : x >= 1e3 ? `${sig(x / 1e3)}k` : sig(x));

/**
 * Several plans side by side (pure): per role the count and the kind of reason that sets it,
 * the busy cores, and where each plan stands against each limit. Plans of one cost table and
 * one set of optional target settings, as `npm run capacity -- --scenarios` makes them.
 */
export function renderComparison(plans: readonly CapacityPlan[], costs: CapacityCosts): string[] {
  const first = plans[0];
  if (!first) return [];
  const t = first.target;
  const cell = (s: Sized | undefined) => (s ? `${n0(s.count)} ${s.binding.kind}` : '–');
  const names = rolesOf(plans.find((p) => p.gateway.router) ?? first).map(([name]) => name);
  const roleOf = (plan: CapacityPlan, name: string) => rolesOf(plan).find(([n]) => n === name)?.[1];
  return [
    `capacity plans: ${sig(t.eventsPerTransaction)} event(s) per transaction, ${t.channelsPerClient} channels per ` +
      `client, ${sig(t.deliveriesPerEvent)} deliveries per event`,
    settingsLine(first, costs),
    '',
    ...formatTable(
      [
        ['', ...plans.map((p) => `${short(p.target.eventsPerS)} events/s`)],
        ['', ...plans.map((p) => `${short(p.target.sseClients)} clients`)],
        ...names.map((name) => [name, ...plans.map((p) => cell(roleOf(p, name)))]),
        [
          'gateway design',
          ...plans.map((p) => (p.gateway.shards > 1 ? `${p.gateway.shards} shards` : 'reads all')),
        ],
        ['busy cores (Outstream)', ...plans.map((p) => n0(busyCores(p).outstream))],
        ['busy cores (emitting services)', ...plans.map((p) => n0(p.load.emitterCores))],
        ...first.limits.map((limit, i) => [
          `limit: ${limit.id}`,
          ...plans.map((p) => p.limits[i]!.state.toUpperCase()),
        ]),
      ],
      ['left', ...plans.map(() => 'right' as const)],
    ),
  ];
}

/** The figures of a cost table with their provenance (and `sources`), then what waits to be measured. */
export function figuresTable(costs: CapacityCosts, sources: boolean): string[] {
  const figures = figuresOf(costs);
  const table = formatTable(
    [
      ['FIGURE', 'VALUE', 'PROVENANCE'],
      ...figures.map(([path, f]) => [
        path,
        sig(f.value),
        tag[f.provenance] + (f.pending ? ' (PENDING)' : ''),
      ]),
    ],
    ['left', 'right', 'left'],
  );
  return [
    ...table.flatMap((line, i) => {
      const f = figures[i - 1]?.[1];
      return sources && f ? [line, `    ${f.source}`] : [line];
    }),
    ...pendingNotes(costs),
  ];
}

/** Lines naming the figures that wait for a measurement, and the command for each. */
export function pendingNotes(costs: CapacityCosts): string[] {
  const waiting: [path: string, command: string][] = figuresOf(costs).flatMap(([path, f]) =>
    f.pending ? [[path, f.pending] as [string, string]] : [],
  );
  if (!costs.gateway.ceilingDeliveriesPerS)
    waiting.push(['gateway.ceilingDeliveriesPerS (unset: the CPU bound is used)', fanoutSweepCommand]);
  if (!costs.capture.ceilingEventsPerS)
    waiting.push([
      'capture.ceilingEventsPerS (unset: the CPU bound is used)',
      `${captureSweepCommand} with higher rates, on a machine with more cores`,
    ]);
  if (waiting.length === 0) return [];
  const byCommand = Map.groupBy(waiting, ([, command]) => command);
  return [
    '',
    'PENDING: provisional or unset until measured (then give them with --costs):',
    ...[...byCommand].flatMap(([command, entries]) => [
      `  ${entries.map(([path]) => path).join(', ')}`,
      `    ← ${command}`,
    ]),
  ];
}
