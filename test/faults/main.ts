// `npm run test:faults` and `npm run test:cluster` (`--cluster`): the fault suite, for
// operators (see test/faults/README.md).
import { parseCli } from '../../core/cli.ts';
import { parseKafkaNodeCount } from '../../core/stack-profile.ts';
import { clusterFaults } from './cluster-faults.ts';
import { allFaults } from './faults.ts';
import { details, problems, table } from './report.ts';
import { faults, runFaultSuite } from './suite.ts';

// The cluster profile: three KRaft nodes, two members per group, two gateway nodes.
const cluster = process.argv.includes('--cluster');
const defaults = cluster
  ? { faults: Object.keys(clusterFaults), brokers: '3', members: '2', gateways: '2', step: 13_000 }
  : { faults: allFaults, brokers: '1', members: '1', gateways: '1', step: 5_000 };
const command = cluster ? 'npm run test:cluster' : 'npm run test:faults';

const usage = `usage: ${command} [-- --faults ${defaults.faults.join(',')}]
    [--rate 200] [--clients 20] [--hotels 4] [--rooms 5] [--events-around 6000]
    [--hold-ms 5000] [--recovery-limit-s 60] [--drain-timeout-s 180] [--keep]
    [--brokers ${defaults.brokers}] [--members ${defaults.members}] [--gateways ${defaults.gateways}]
  Starts a whole private stack (ports shifted ${defaults.step} from the shared stack's; state in a
  temporary directory), runs the platform on it as npm start does, connects SSE clients, emits
  steady load (one event per transaction), then injects each fault in turn and checks every sink
  with independent reads. Prints a table per fault; exit 1 when any fault misses the target.
  --faults         any of: ${Object.keys(faults).join(', ')}
                   (${Object.keys(clusterFaults).join(', ')} need --brokers 3, --members 2, --gateways 2)
  --events-around  events committed before each fault and again after its recovery
  --brokers        KRaft nodes of the private stack: 1 or 3 (replication 3, min.insync.replicas 2)
  --members        processes per consumer group; --gateways: gateway nodes (clients spread over them)
  --keep           keep the private stack's directory (logs) afterwards
  npm run test:cluster is test:faults --cluster: 3 brokers, 2 members, 2 gateways, the cluster faults.`;

const { values } = parseCli(
  {
    options: {
      cluster: { type: 'boolean', default: false },
      faults: { type: 'string' },
      rate: { type: 'string', default: '200' },
      clients: { type: 'string', default: '20' },
      hotels: { type: 'string', default: '4' },
      rooms: { type: 'string', default: '5' },
      'events-around': { type: 'string', default: '6000' },
      'hold-ms': { type: 'string', default: '5000' },
      'recovery-limit-s': { type: 'string', default: '60' },
      'drain-timeout-s': { type: 'string', default: '180' },
      brokers: { type: 'string', default: defaults.brokers },
      members: { type: 'string', default: defaults.members },
      gateways: { type: 'string', default: defaults.gateways },
      keep: { type: 'boolean', default: false },
    },
  },
  usage,
);

function positive(flag: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0 || n > max) {
    console.error(
      `--${flag}: expected a positive integer${max < 1e9 ? ` up to ${max}` : ''}, got ${JSON.stringify(text)}\n${usage}`,
    );
    process.exit(2);
  }
  return n;
}

const names = values.faults?.split(',').map((f) => f.trim()) ?? defaults.faults;
const bad = names.filter((n) => !(n in faults));
if (bad.length > 0) {
  console.error(`--faults: unknown ${bad.join(', ')} (known: ${Object.keys(faults).join(', ')})\n${usage}`);
  process.exit(2);
}
let kafkaNodes: ReturnType<typeof parseKafkaNodeCount>;
try {
  kafkaNodes = parseKafkaNodeCount(values.brokers);
} catch (e) {
  console.error(`${(e as Error).message}\n${usage}`);
  process.exit(2);
}
const limitMs = positive('recovery-limit-s', values['recovery-limit-s']) * 1000;
const started = Date.now();
const log = (line: string) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

const results = await runFaultSuite({
  faults: names,
  kafkaNodes,
  members: positive('members', values.members, 4),
  gateways: positive('gateways', values.gateways, 4),
  step: defaults.step,
  rate: positive('rate', values.rate),
  clients: positive('clients', values.clients),
  hotels: positive('hotels', values.hotels),
  roomsPerHotel: positive('rooms', values.rooms),
  eventsAround: positive('events-around', values['events-around']),
  holdMs: positive('hold-ms', values['hold-ms']),
  recoveryTimeoutMs: limitMs + 30_000,
  drainTimeoutMs: positive('drain-timeout-s', values['drain-timeout-s']) * 1000,
  keep: values.keep,
  log,
  onPhase: (r) => console.log(`${details(r, limitMs)}\n`),
}).catch((e: unknown) => {
  console.error(`fault suite aborted: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
console.log(`\n${table(results, limitMs)}\n`);
const failed = results.filter((r) => problems(r, limitMs).length > 0);
console.log(
  failed.length === 0
    ? `every fault met the target (${((Date.now() - started) / 1000).toFixed(0)} s)`
    : `${failed.length} of ${results.length} faults missed the target: ${failed.map((r) => r.fault).join(', ')}`,
);
process.exit(failed.length === 0 ? 0 : 1);
