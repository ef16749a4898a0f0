// `npm run test:faults`: the full fault suite, for operators (see test/faults/README.md).
import { parseCli } from '../../core/cli.ts';
import { allFaults } from './faults.ts';
import { details, problems, table } from './report.ts';
import { runFaultSuite } from './suite.ts';

const usage = `usage: npm run test:faults [-- --faults ${allFaults.join(',')}]
    [--rate 200] [--clients 20] [--hotels 4] [--rooms 5] [--events-around 6000]
    [--hold-ms 5000] [--recovery-limit-s 60] [--drain-timeout-s 180] [--keep]
  Starts a whole private stack (ports shifted 5000 from the shared stack's; state in a temporary
  directory), runs the platform on it as npm start does, connects SSE clients, emits steady load
  (one event per transaction), then injects each fault in turn and checks every sink with
  independent reads. Prints a table per fault; exit 1 when any fault misses the target.
  --events-around  events committed before each fault and again after its recovery
  --keep           keep the private stack's directory (logs) afterwards`;

const { values } = parseCli(
  {
    options: {
      faults: { type: 'string' },
      rate: { type: 'string', default: '200' },
      clients: { type: 'string', default: '20' },
      hotels: { type: 'string', default: '4' },
      rooms: { type: 'string', default: '5' },
      'events-around': { type: 'string', default: '6000' },
      'hold-ms': { type: 'string', default: '5000' },
      'recovery-limit-s': { type: 'string', default: '60' },
      'drain-timeout-s': { type: 'string', default: '180' },
      keep: { type: 'boolean', default: false },
    },
  },
  usage,
);

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${flag}: expected a positive integer, got ${JSON.stringify(text)}\n${usage}`);
    process.exit(2);
  }
  return n;
}

const names = values.faults?.split(',').map((f) => f.trim()) ?? allFaults;
const bad = names.filter((n) => !allFaults.includes(n));
if (bad.length > 0) {
  console.error(`--faults: unknown ${bad.join(', ')} (known: ${allFaults.join(', ')})\n${usage}`);
  process.exit(2);
}
const limitMs = positive('recovery-limit-s', values['recovery-limit-s']) * 1000;
const started = Date.now();
const log = (line: string) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

const results = await runFaultSuite({
  faults: names,
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
