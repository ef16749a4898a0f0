// npm run capacity: how many of each part a load needs, from the measured costs.
import { readFileSync } from 'node:fs';
import { parseCli } from '../../core/cli.ts';
import { applyCosts, type CapacityCosts, CapacityInputError, figuresOf } from './costs.ts';
import { measuredCosts } from './figures.ts';
import { planCapacity } from './model.ts';
import { figuresTable, renderComparison, renderPlan } from './render.ts';
import { type CapacityTargetInput, targetDefaults } from './target.ts';

const usage = `usage: npm run capacity -- --events-per-s N [--sse-clients N] [flags]
       npm run capacity -- --scenarios [--full] [flags]
                                   10k and 100k events/s × 100k and 1M clients side by side
                                   (--full: each plan in full too), as in infra/capacity/README.md
       npm run capacity -- --print-costs            the default cost table as JSON (a --costs file)
  --events-per-s N           events committed through the outbox per second
  --sse-clients N            SSE streams open at once (default 0)
  --events-per-tx N          events per transaction (default ${targetDefaults.eventsPerTransaction})
  --channels-per-client N    channels per stream (default ${targetDefaults.channelsPerClient})
  --deliveries-per-event N   streams each event is written to (default ${targetDefaults.deliveriesPerEvent})
  --cpu-scale X              multiplies every CPU figure (default ${targetDefaults.cpuScale}: this machine's, inflated
                             2–5× by system calls that trap to the hypervisor; try 0.3 for a machine without)
  --costs FILE               JSON laid over the defaults: any subset of figures, each a number
                             (taken as assumed) or {value, provenance, source}
  --sources                  print where each figure comes from
  --candidates               every reason behind each count, not only the one that sets it
  --json                     the plan and the figures as JSON
Prints, per role (databases, Connect tasks and workers, brokers, partitions, members per group,
gateway nodes), the count and what sets it, with the provenance of the figures behind it
(measured here / measured earlier / extrapolated / assumed / configured; PENDING: waits for a
measurement), and where the target stands against the design's hard limits. Exit 2 on bad input.`;

const { values } = parseCli(
  {
    options: {
      'events-per-s': { type: 'string' },
      'sse-clients': { type: 'string' },
      'events-per-tx': { type: 'string' },
      'channels-per-client': { type: 'string' },
      'deliveries-per-event': { type: 'string' },
      'cpu-scale': { type: 'string' },
      costs: { type: 'string' },
      scenarios: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      'print-costs': { type: 'boolean', default: false },
      sources: { type: 'boolean', default: false },
      candidates: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  },
  usage,
);

/** The flag each target field comes from, to name it in errors. */
const flagOf: Record<string, string> = {
  'target.eventsPerS': '--events-per-s',
  'target.sseClients': '--sse-clients',
  'target.eventsPerTransaction': '--events-per-tx',
  'target.channelsPerClient': '--channels-per-client',
  'target.deliveriesPerEvent': '--deliveries-per-event',
  'target.cpuScale': '--cpu-scale',
};

const number = (flag: string | undefined) => (flag === undefined ? undefined : Number(flag));

function costsFrom(file: string | undefined): CapacityCosts {
  if (file === undefined) return measuredCosts;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CapacityInputError([{ field: '--costs', message: `${file}: ${(e as Error).message}` }]);
  }
  return applyCosts(measuredCosts, json, `--costs ${file}`);
}

function targetsOf(): CapacityTargetInput[] {
  const common = {
    ...(values['events-per-tx'] !== undefined && { eventsPerTransaction: number(values['events-per-tx']) }),
    ...(values['channels-per-client'] !== undefined && {
      channelsPerClient: number(values['channels-per-client']),
    }),
    ...(values['deliveries-per-event'] !== undefined && {
      deliveriesPerEvent: number(values['deliveries-per-event']),
    }),
    ...(values['cpu-scale'] !== undefined && { cpuScale: number(values['cpu-scale']) }),
  };
  if (values.scenarios)
    return [10_000, 100_000].flatMap((eventsPerS) =>
      [100_000, 1_000_000].map((sseClients) => ({ ...common, eventsPerS, sseClients })),
    );
  if (values['events-per-s'] === undefined)
    throw new CapacityInputError([{ field: '--events-per-s', message: 'required (or --scenarios)' }]);
  return [
    {
      ...common,
      eventsPerS: number(values['events-per-s'])!,
      sseClients: number(values['sse-clients']) ?? 0,
    },
  ];
}

function main(): number {
  if (values['print-costs']) {
    console.log(JSON.stringify(measuredCosts, null, 2));
    return 0;
  }
  const costs = costsFrom(values.costs);
  const plans = targetsOf().map((t) => planCapacity(costs, t));
  if (values.json) {
    console.log(JSON.stringify({ plans, figures: Object.fromEntries(figuresOf(costs)) }, null, 2));
    return 0;
  }
  const options = { sources: values.sources, candidates: values.candidates, figures: false };
  const sections = [
    ...(values.scenarios ? [renderComparison(plans, costs)] : []),
    ...(values.scenarios && !values.full ? [] : plans.map((plan) => renderPlan(plan, costs, options))),
    figuresTable(costs, values.sources),
  ];
  console.log(sections.map((lines) => lines.join('\n')).join(`\n\n${'─'.repeat(100)}\n\n`));
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  if (!(e instanceof CapacityInputError)) throw e;
  const lines = e.issues.map((issue, i) => {
    const field = e.fields[i]!;
    return flagOf[field] ? issue.replace(field, flagOf[field]) : issue;
  });
  console.error(`${lines.join('\n')}\n${usage}`);
  process.exitCode = 2;
}
