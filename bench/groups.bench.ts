// Consumer groups end to end: commit → effect latency per group at a fixed rate, and sustained
// throughput through all three groups together, side by side with the seeds' design as the
// baseline (a relay polling the outbox every 1 s / 100 ms and calling the same handlers in
// process). Prints figures; asserts nothing. Needs the stack (`npm start` or `npm run stack:up`
// + `npm run setup`), or with `--profiles single,cluster` starts a private stack per profile
// itself (bench/profile-stacks.ts) and prints every figure side by side; each group runs in
// its own process under a bench group id (as `npm start` runs them), the load in another
// child process. Usage: npm run bench:groups -- --help
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { analyticsHandlers } from '../consumers/analytics/group.ts';
import { createCache } from '../consumers/cache-invalidation/cache.ts';
import { cacheInvalidationHandlers } from '../consumers/cache-invalidation/group.ts';
import type { Handlers } from '../consumers/framework/index.ts';
import { notificationHandlers } from '../consumers/notifications/group.ts';
import { createMailer } from '../consumers/notifications/mailer.ts';
import { parseCli } from '../core/cli.ts';
import { ErrorCode, isOutstreamError } from '../core/errors.ts';
import { createKafka } from '../core/kafka/index.ts';
import { createSchemaRegistry } from '../core/schema-registry.ts';
import { waitFor } from '../core/wait.ts';
import { createEmitter, createSchemaIds } from '../producers/index.ts';
import type { AnyEvent, EventType } from '../schemas/index.ts';
import { type CpuTarget, cpuSnapshot, cpuTable, cpuUsed } from './cpu.ts';
import { type FloorReader, kafkajsReader, kcatReader, portReader } from './floor-readers.ts';
import type { Commit, LoadPlan } from './groups-load.ts';
import { startRelay } from './groups-relay.ts';
import type { Timing } from './groups-runner.ts';
import {
  type BenchStack,
  passesCliOptions,
  passesFlags,
  privateStep,
  runPasses,
  stackCpuTargets,
  stopProcesses,
} from './profile-stacks.ts';
import { type FigureLog, figureLog } from './profiles.ts';

const usage = `usage: npm run bench:groups [-- --quick] [--rate 1000] [--seconds 20] [--burst 30000]
    [--groups notifications,cache-invalidation,analytics] [--skip-baseline]
  --quick          3 s per latency run, bursts of 3,000
  --groups         only these groups (default all three)
  --skip-baseline  no polling-relay baseline (its ratios are then not printed)
  --capture-sweep 250,500,1000,2000 [--batch 10]
                   only the capture floor, at each rate in turn (--batch events per transaction,
                   default 10), read by the port alone: commit → Kafka record timestamp and →
                   arrival, CPU per component; the ceiling of the Debezium task is the rate at
                   which the offered rate is no longer met or commit → reader latency grows
  --profiles single,cluster [--stack-offset N] [--keep]
                   every phase (or the sweep) once per profile, in this order, each on a private
                   stack the bench starts, sets up (as npm run setup), warms up (2,000 events
                   through Debezium and Kafka), lets settle (< 0.5 cores busy) and stops before
                   the next starts — not the configured stack, which only lends its jars: one
                   stack up at a time, each from the same state — then every figure side by side:
                   single | cluster | cluster/single, the CPU per component per 1,000 events too
                   (the Kafka row sums the cluster's three JVMs). single: one KRaft node,
                   replication 1; cluster: three nodes, replication 3, min.insync.replicas 2
                   (npm run stack:up -- --brokers 3). Ports: the configured stack's shifted
                   ${privateStep} (or ${privateStep} below past 13000), or --stack-offset N; a stack whose ports
                   are in use is refused before any of its components starts. Ctrl-C stops the
                   pass's processes and the stack. --keep keeps each stack's directory (logs).
                   Quick form: --quick (both profiles in about 4 min here)`;
const { values } = parseCli(
  {
    options: {
      quick: { type: 'boolean', default: false },
      rate: { type: 'string' },
      seconds: { type: 'string' },
      burst: { type: 'string' },
      groups: { type: 'string' },
      'skip-baseline': { type: 'boolean', default: false },
      'capture-sweep': { type: 'string' },
      batch: { type: 'string' },
      ...passesCliOptions,
    },
  },
  usage,
);
const quick = values.quick;
const rate = Number(values.rate ?? 1000);
const seconds = Number(values.seconds ?? (quick ? 3 : 20));
const burst = Number(values.burst ?? (quick ? 3000 : 30_000));
const run = `bench-${randomUUID().slice(0, 8)}`;
const actor = `bench:${run}`;
const hotels = Array.from({ length: 10 }, (_, i) => `${run}-h${i}`);
const guestId = randomUUID();
const allGroups = ['notifications', 'cache-invalidation', 'analytics'] as const;
type GroupName = (typeof allGroups)[number];
const groupNames = (values.groups?.split(',') ?? allGroups) as GroupName[];
// What the notifications group writes as the actor of its notification.created events.
const notificationActor = 'system:notifications';

/** Everything measured about one event in one group. */
interface Effect {
  recordTs: number;
  start: number;
  end: number;
}
const commits = new Map<string, { type: EventType; t: number }>();
const effects: Record<GroupName, Map<string, Effect>> = {
  notifications: new Map(),
  'cache-invalidation': new Map(),
  analytics: new Map(),
};
const handles: Record<GroupName, ReadonlySet<string>> = {
  notifications: new Set(['booking.created', 'booking.confirmed', 'message.created']),
  'cache-invalidation': new Set([
    'booking.created',
    'booking.confirmed',
    'room.status_changed',
    'message.created',
  ]),
  analytics: new Set(['booking.created', 'booking.confirmed', 'room.status_changed', 'message.created']),
};
const record = (group: GroupName, e: AnyEvent, start: number, end: number) => {
  if (e.actor === actor) effects[group].set(e.id, { recordTs: e.kafka.timestamp, start, end });
};

// The stack of the pass running now (one per profile with --profiles), and what it measured.
let stack: BenchStack;
let figures: FigureLog;
// Processes whose CPU each phase reports: the stack's, then each group's and the load's.
let cpuTargets: CpuTarget[] = [];
const setCpuTarget = (name: string, pid: number | undefined) => {
  const target = { name, pids: pid === undefined ? [] : [pid] };
  const at = cpuTargets.findIndex((t) => t.name === name);
  if (at >= 0) cpuTargets[at] = target;
  else cpuTargets.push(target);
};
// What a pass started, stopped on Ctrl-C or when the pass fails.
const children = new Set<ChildProcess>();
const readersRunning = new Set<FloorReader>();
function stopChildren(): Promise<void> {
  for (const r of readersRunning) void r.stop().catch(() => {});
  return stopProcesses(children);
}

// CPU the load generators reported (they exit before a phase's table is taken).
let loadCpuSeconds = 0;

/**
 * Starts measuring the CPU of every target; the returned function prints the table, records
 * each row under `section` and returns the core-seconds all of them spent per event.
 */
function cpuMeter(section: string) {
  const before = cpuSnapshot(cpuTargets);
  before.set('load generator', loadCpuSeconds);
  const begun = Date.now();
  return (events: number): number => {
    const after = cpuSnapshot(cpuTargets);
    after.set('load generator', loadCpuSeconds);
    console.log(`  CPU per component (core-seconds per 1,000 events; cores busy over the phase)`);
    const wall = (Date.now() - begun) / 1000;
    const spent = cpuUsed(before, after);
    console.log(cpuTable(spent, Math.max(1, events), wall));
    for (const row of spent.rows)
      figures.add(section, `CPU ${row.name}`, 'core-s/1k', (row.used / Math.max(1, events)) * 1000);
    const used = spent.total;
    figures.add(section, 'CPU total', 'core-s/1k', (used / Math.max(1, events)) * 1000);
    figures.add(section, 'cores busy', 'cores', used / wall);
    return used / Math.max(1, events);
  };
}

/** Starts a group in its own process (bench/groups-runner.ts); resolves once it joined. */
async function runner(name: GroupName) {
  const child = fork(path.join(import.meta.dirname, 'groups-runner.ts'), [name, actor], { env: stack.env });
  children.add(child);
  child.once('exit', () => children.delete(child));
  setCpuTarget(`group ${name}`, child.pid);
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: { ready?: true; timings?: Timing[] }) => {
      if (m.ready) resolve();
      for (const [id, recordTs, start, end] of m.timings ?? [])
        effects[name].set(id, { recordTs, start, end });
    });
    child.once('exit', (code) => reject(new Error(`${name} runner exited with ${code}`)));
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
}

function load(plan: Omit<LoadPlan, 'actor' | 'hotels' | 'guestId' | 'run'>) {
  const child: ChildProcess = fork(
    path.join(import.meta.dirname, 'groups-load.ts'),
    [JSON.stringify({ ...plan, actor, hotels, guestId, run })],
    { env: stack.env },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  // Its CPU comes with its `done` message: it exits before a phase's CPU table is taken.
  // The load stands for the services, which run on their own machines in production: it gets
  // the CPU first, so that every design is offered the same rate on this shared 2-core box.
  try {
    os.setPriority(child.pid!, -10);
  } catch {
    // not permitted (not root): the rates printed show what was offered
  }
  const ids: string[] = [];
  let resolveReady!: () => void;
  let resolveDone!: (r: { emitted: number; elapsedMs: number }) => void;
  const ready = new Promise<void>((r) => {
    resolveReady = r;
  });
  const done = new Promise<{ emitted: number; elapsedMs: number }>((r) => {
    resolveDone = r;
  });
  child.on(
    'message',
    (m: {
      ready?: true;
      commits?: Commit[];
      done?: true;
      emitted: number;
      elapsedMs: number;
      cpuSeconds?: number;
    }) => {
      if (m.ready) resolveReady();
      for (const [id, type, t] of m.commits ?? []) {
        commits.set(id, { type: type as EventType, t });
        ids.push(id);
      }
      if (m.done) {
        loadCpuSeconds += m.cpuSeconds ?? 0;
        resolveDone(m);
      }
    },
  );
  return {
    ids,
    async run() {
      await ready;
      child.send('go');
      return done;
    },
  };
}

function pct(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
const ms = (n: number) => (Number.isNaN(n) ? '   n/a' : `${n.toFixed(0).padStart(5)} ms`);

async function settle(ids: readonly string[], timeoutMs: number): Promise<boolean> {
  return waitFor(
    () =>
      groupNames.every((g) =>
        ids.every((id) => !handles[g].has(commits.get(id)!.type) || effects[g].has(id)),
      ),
    { timeoutMs, intervalMs: 50, what: 'every effect' },
  ).then(
    () => true,
    () => false,
  );
}

interface Latency {
  n: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
  /**
   * Where the time goes, p50 and p99 of each stage: commit → the record's timestamp (Debezium
   * read it from the WAL), → handler start (Connect's producer, Kafka, the fetch, queueing in
   * the group), and the handler itself.
   */
  stages: { capture: [number, number]; delivery: [number, number]; handler: [number, number] };
}

function latencies(ids: readonly string[]): Record<GroupName, Latency> {
  const out = {} as Record<GroupName, Latency>;
  for (const g of groupNames) {
    const mine = ids.filter((id) => handles[g].has(commits.get(id)!.type));
    const got = mine.flatMap((id) => {
      const e = effects[g].get(id);
      return e ? [{ e, c: commits.get(id)!.t }] : [];
    });
    const lat = got.map(({ e, c }) => e.end - c).sort((a, b) => a - b);
    // The relay's effects have no Kafka record, hence no capture or delivery stage.
    const viaKafka = got.filter((x) => x.e.recordTs > 0);
    const stage = (f: (x: (typeof got)[number]) => number, of = viaKafka): [number, number] => {
      const sorted = of.map(f).sort((a, b) => a - b);
      return [pct(sorted, 0.5), pct(sorted, 0.99)];
    };
    out[g] = {
      n: got.length,
      expected: mine.length,
      p50: pct(lat, 0.5),
      p99: pct(lat, 0.99),
      max: lat[lat.length - 1] ?? Number.NaN,
      stages: {
        capture: stage((x) => x.e.recordTs - x.c),
        delivery: stage((x) => x.e.start - x.e.recordTs),
        handler: stage((x) => x.e.end - x.e.start, got),
      },
    };
  }
  return out;
}

function printLatency(name: string, l: Record<GroupName, Latency>) {
  console.log(`  ${name}`);
  for (const g of groupNames) {
    const x = l[g];
    const st = ([p50, p99]: [number, number]) =>
      Number.isNaN(p50) ? 'n/a' : `${p50.toFixed(0)}/${p99.toFixed(0)}`;
    const parts = `   (p50/p99 ms: capture ${st(x.stages.capture)}, delivery ${st(x.stages.delivery)}, handler ${st(x.stages.handler)})`;
    const missing = x.n < x.expected ? `  [${x.expected - x.n} not done]` : '';
    console.log(`    ${g.padEnd(19)} p50 ${ms(x.p50)}  p99 ${ms(x.p99)}  max ${ms(x.max)}${parts}${missing}`);
  }
}

/** A rate phase's latencies as figures; delivery (record → handler) is where replication waits. */
function recordLatency(section: string, l: Record<GroupName, Latency>) {
  for (const g of groupNames) {
    figures.add(section, `${g} p50`, 'ms', l[g].p50);
    figures.add(section, `${g} p99`, 'ms', l[g].p99);
    if (!Number.isNaN(l[g].stages.delivery[1]))
      figures.add(section, `${g} delivery p99`, 'ms', l[g].stages.delivery[1]);
    if (l[g].n < l[g].expected) figures.add(section, `${g} not done`, 'count', l[g].expected - l[g].n);
  }
}

async function ratePhase(name: string, relayMs?: number) {
  const l = load({
    mode: 'rate',
    rate,
    durationMs: seconds * 1000,
    count: 0,
    batch: 1,
    retain: relayMs !== undefined,
  });
  const meter = cpuMeter(name);
  const r = await l.run();
  const complete = await settle(l.ids, quick ? 15_000 : 60_000);
  const result = latencies(l.ids);
  const achieved = r.emitted / (r.elapsedMs / 1000);
  console.log(
    `\n${name}: ${r.emitted} events at ${achieved.toFixed(0)}/s${complete ? '' : ' (not all effects arrived in time)'}` +
      (achieved < rate * 0.95
        ? ` — below the ${rate}/s asked: the load generator could not keep up, the machine is saturated`
        : ''),
  );
  printLatency('commit → effect', result);
  figures.add(name, 'achieved rate', 'events/s', achieved);
  recordLatency(name, result);
  meter(r.emitted);
  return result;
}

/**
 * Where the time goes: the capture pipeline alone (Debezium → Kafka) read by bare consumers
 * with no handler, side by side at the same rate, before any group runs: the port (what the
 * groups read with), kafkajs (the client it replaced) and kcat (librdkafka) when installed.
 * @returns the p99 of the port's reader and of kcat's (NaN without kcat).
 */
async function floorPhase(
  o: { rate: number; batch: number; portOnly: boolean } = { rate, batch: 1, portOnly: false },
): Promise<FloorResult> {
  const topics = ['events.booking', 'events.room', 'events.message'];
  const brokers = stack.config.kafka.brokers;
  const kafka = createKafka({ brokers, clientId: 'bench-floor' });
  const tag = `${run}-${o.rate}`;
  const section = `capture floor at ${o.rate}/s${o.batch > 1 ? `, up to ${o.batch} per transaction` : ''}`;
  const readers: FloorReader[] = [];
  const started = (x: FloorReader) => {
    readers.push(x);
    readersRunning.add(x);
  };
  started(await portReader(kafka, topics, `bench-floor-port-${tag}`, actor));
  if (!o.portOnly) started(await kafkajsReader(brokers, topics, `bench-floor-kafkajs-${tag}`, actor));
  const kcat = o.portOnly ? undefined : await kcatReader(brokers, topics, `bench-floor-kcat-${tag}`, actor);
  if (kcat) started(kcat);
  const l = load({
    mode: 'rate',
    rate: o.rate,
    durationMs: seconds * 1000,
    count: 0,
    batch: o.batch,
    retain: false,
  });
  const meter = cpuMeter(section);
  const r = await l.run();
  await waitFor(() => readers.every((x) => l.ids.every((id) => x.arrivals.has(id))), {
    timeoutMs: 15_000,
    what: 'arrivals',
  }).catch(() => {});
  const achieved = r.emitted / (r.elapsedMs / 1000);
  console.log(
    `\ncapture floor (no group running): ${r.emitted} events at ${achieved.toFixed(0)}/s of ${o.rate}/s asked, ` +
      `up to ${o.batch} per transaction, bare readers side by side, commit → arrival`,
  );
  figures.add(section, 'achieved rate', 'events/s', achieved);
  // Commit → the record's timestamp: Debezium's event time, which can precede the client's
  // commit time (taken after COMMIT returned): not a delay, shown for the spread.
  const stamped = readers[0]!.recordTimes!;
  const capture = l.ids
    .flatMap((id) => (stamped.has(id) ? [stamped.get(id)! - commits.get(id)!.t] : []))
    .sort((a, b) => a - b);
  console.log(
    `    ${'commit → record timestamp'.padEnd(36)} p50 ${ms(pct(capture, 0.5))}  p99 ${ms(pct(capture, 0.99))}  max ${ms(capture.at(-1) ?? Number.NaN)}`,
  );
  figures.add(section, 'commit → record timestamp p50', 'ms', pct(capture, 0.5));
  figures.add(section, 'commit → record timestamp p99', 'ms', pct(capture, 0.99));
  const p99 = new Map<string, number>();
  for (const x of readers) {
    const lat = l.ids
      .flatMap((id) => (x.arrivals.has(id) ? [x.arrivals.get(id)! - commits.get(id)!.t] : []))
      .sort((a, b) => a - b);
    p99.set(x.name, pct(lat, 0.99));
    const missing = l.ids.length - lat.length;
    console.log(
      `    ${x.name.padEnd(36)} p50 ${ms(pct(lat, 0.5))}  p99 ${ms(pct(lat, 0.99))}  max ${ms(lat[lat.length - 1] ?? Number.NaN)}${missing ? `  [${missing} missing]` : ''}`,
    );
    figures.add(section, `commit → ${x.name} p50`, 'ms', pct(lat, 0.5));
    figures.add(section, `commit → ${x.name} p99`, 'ms', pct(lat, 0.99));
    if (missing) figures.add(section, `${x.name} missing`, 'count', missing);
  }
  if (!kcat && !o.portOnly)
    console.log('    (kcat not installed: apt-get install -y kcat adds librdkafka to this comparison)');
  const perEvent = meter(r.emitted);
  // What the stack alone (PostgreSQL, Connect, Kafka, the load generator, the bare readers)
  // costs per event bounds the rate this machine can carry before any group runs.
  const cores = os.availableParallelism();
  console.log(
    `    capacity: ${(perEvent * 1000).toFixed(2)} core-s per 1,000 events with no group running: ` +
      `at most ~${(cores / perEvent).toFixed(0)} events/s on this machine's ${cores} cores ` +
      `(this phase asks ${o.rate}/s; above the bound, latencies measure queueing)`,
  );
  figures.add(section, `capacity on ${cores} cores, no group`, 'events/s', cores / perEvent);
  await Promise.all(
    readers.map(async (x) => {
      await x.stop();
      readersRunning.delete(x);
    }),
  );
  const port = p99.get(readers[0]!.name) ?? Number.NaN;
  const kcatP99 = kcat ? (p99.get(kcat.name) ?? Number.NaN) : Number.NaN;
  if (kcat) console.log(`    port p99 / kcat p99: ${(port / kcatP99).toFixed(2)} (target ≤ 1.2)`);
  return {
    asked: o.rate,
    achieved,
    captureP50: pct(capture, 0.5),
    captureP99: pct(capture, 0.99),
    port,
    kcat: kcatP99,
    corePerK: perEvent * 1000,
  };
}

/** One floor phase's figures. */
interface FloorResult {
  asked: number;
  achieved: number;
  /** Commit → Kafka record timestamp (ms). */
  captureP50: number;
  captureP99: number;
  /** Commit → arrival at the port's bare reader, p99 (ms). */
  port: number;
  kcat: number;
  /** Core-seconds per 1,000 events of every measured component. */
  corePerK: number;
}

/**
 * `--capture-sweep`: the capture floor at each rate in turn. The Debezium task is one per
 * database and cannot be scaled out by adding members: the rate past which the offered load is
 * no longer met, or commit → reader latency grows, is its ceiling on this machine.
 */
async function captureSweep(rates: number[], batch: number): Promise<void> {
  const results: FloorResult[] = [];
  for (const r of rates) results.push(await floorPhase({ rate: r, batch, portOnly: true }));
  const floor = results[0]!;
  console.log(`\ncapture sweep (up to ${batch} events per transaction, ${seconds} s per rate)`);
  console.log('    asked/s  achieved/s  commit → port reader p99   record ts p50 / p99   core-s/1k events');
  for (const x of results)
    console.log(
      `    ${String(x.asked).padStart(7)}  ${x.achieved.toFixed(0).padStart(10)}  ${ms(x.port)}                ${ms(x.captureP50)} / ${ms(x.captureP99)}     ${x.corePerK.toFixed(2)}`,
    );
  // Met: the offered rate is reached and the p99 stays within twice the lowest rate's (or +50 ms).
  const bound = Math.max(2 * floor.port, floor.port + 50);
  const met = results.filter((x) => x.achieved >= x.asked * 0.95 && x.port <= bound);
  const ceiling = met.at(-1);
  console.log(
    ceiling
      ? `    ceiling on this machine: ~${ceiling.asked} events/s (the highest rate met with commit → reader p99 ≤ ${bound.toFixed(0)} ms)`
      : '    no rate of the sweep was met: start lower',
  );
  figures.add(
    `capture sweep, up to ${batch} per transaction`,
    'ceiling',
    'events/s',
    ceiling?.asked ?? Number.NaN,
  );
}

/** A short burst nobody measures: connections, caches, JIT and schema lookups warm up first. */
async function warmUp(relayMs?: number) {
  const l = load({
    mode: 'burst',
    rate: 0,
    durationMs: 0,
    count: 300,
    batch: 10,
    retain: relayMs !== undefined,
  });
  await l.run();
  await settle(l.ids, 20_000);
}

async function burstPhase(name: string, relayMs?: number) {
  const l = load({
    mode: 'burst',
    rate: 0,
    durationMs: 0,
    count: burst,
    batch: 100,
    retain: relayMs !== undefined,
  });
  const meter = cpuMeter(name);
  const r = await l.run();
  const complete = await settle(l.ids, quick ? 20_000 : 180_000);
  const first = Math.min(...l.ids.map((id) => commits.get(id)!.t));
  const last = Math.max(
    ...groupNames.flatMap((g) =>
      l.ids.flatMap((id) => (effects[g].get(id) ? [effects[g].get(id)!.end] : [])),
    ),
  );
  const eps = r.emitted / ((last - first) / 1000);
  figures.add(name, `all three groups done${complete ? '' : ' (INCOMPLETE)'}`, 'events/s', eps);
  const perGroup = groupNames.map((g) => {
    const ends = l.ids.flatMap((id) => (effects[g].get(id) ? [effects[g].get(id)!.end] : []));
    const perS = ends.length / ((Math.max(...ends) - first) / 1000);
    figures.add(name, `${g} effects`, 'events/s', perS);
    return `${g} ${perS.toFixed(0)}/s`;
  });
  console.log(
    `\n${name}: ${r.emitted} events emitted at ${(r.emitted / (r.elapsedMs / 1000)).toFixed(0)}/s; all three groups done at ${eps.toFixed(0)} events/s${complete ? '' : ' (INCOMPLETE: deadline passed)'}`,
  );
  console.log(`    per group (effects/s): ${perGroup.join(', ')}`);
  meter(r.emitted);
  return complete ? eps : Number.NaN;
}

/** `--capture-sweep 250,500,…` and `--batch N`, validated; undefined without a sweep. */
function sweepPlan(): { rates: number[]; batch: number } | undefined {
  if (values['capture-sweep'] === undefined) return undefined;
  const rates = values['capture-sweep'].split(',').map((r) => Number(r.trim()));
  const batch = Number(values.batch ?? 10);
  if (rates.length === 0 || rates.some((r) => !Number.isInteger(r) || r <= 0 || r > 100_000)) {
    console.error(`--capture-sweep: rates are whole numbers in 1…100000, comma-separated\n${usage}`);
    process.exit(2);
  }
  if (!Number.isInteger(batch) || batch < 1 || batch > 1_000) {
    console.error(`--batch: a whole number in 1…1000\n${usage}`);
    process.exit(2);
  }
  return { rates: [...rates].sort((a, b) => a - b), batch };
}

/** Every phase (or the sweep) on one stack; returns what it measured. */
async function pass(on: BenchStack) {
  stack = on;
  figures = figureLog();
  cpuTargets = [...stackCpuTargets(on.config), { name: 'bench (this process)', pids: [process.pid] }];
  if (sweep) {
    await captureSweep(sweep.rates, sweep.batch);
    return figures.figures;
  }
  const config = on.config;
  const pool = new pg.Pool({ connectionString: config.database.url, max: 10 });
  // Bench data: a staff member per hotel (for booking.created), a guest who opted out of email.
  for (const [i, h] of hotels.entries()) {
    await pool.query(
      `INSERT INTO notification_users (user_id, email, display_name, role, hotel_id, last_sequence)
       VALUES ($1, $2, 'Bench Staff', 'STAFF', $3, 1) ON CONFLICT DO NOTHING`,
      [randomUUID(), `staff${i}@${run}.test`, h],
    );
  }
  // The guest is known (with an address, as user.registered would make it): a group that
  // `npm start` runs beside the bench resolves every recipient and dead-letters nothing.
  await pool.query(
    `INSERT INTO notification_users (user_id, email, display_name, role, hotel_id, last_sequence)
     VALUES ($1, $2, 'Bench Guest', 'GUEST', NULL, 1) ON CONFLICT DO NOTHING`,
    [guestId, `guest@${run}.test`],
  );
  await pool.query(
    `INSERT INTO notification_preferences (user_id, kind, medium, enabled) VALUES ($1, '*', 'email', false)`,
    [guestId],
  );
  console.log(
    `bench:groups ${quick ? '(quick) ' : ''}— ${rate} events/s for ${seconds} s per latency run, bursts of ${burst}; ` +
      'event mix: 40% booking.created, 30% booking.confirmed, 20% room.status_changed, 10% message.created',
  );

  // Baseline: the same handlers, called by a relay polling the outbox.
  const redis = new Redis(config.redis.url);
  const cache = createCache({ redis });
  const registry = createSchemaRegistry({ url: config.registry.url });
  const mailer = createMailer({ url: config.smtp.url, from: 'bench@outstream.test' });
  const handlersOf: Record<GroupName, Handlers> = {
    notifications: notificationHandlers({
      // Retained: the relay dispatches the notification.created events too, as Kafka does.
      deps: {
        pool,
        emitter: createEmitter({ schemaIds: createSchemaIds(registry), retainRows: true }),
        mailer,
        messageIdDomain: 'bench.test',
      },
    }),
    'cache-invalidation': cacheInvalidationHandlers({ cache }),
    analytics: analyticsHandlers({ pool }),
  };
  const inProcess = Object.fromEntries(groupNames.map((g) => [g, handlersOf[g]]));
  const baseline: Record<string, Record<GroupName, Latency>> = {};
  let baselineEps = Number.NaN;
  for (const intervalMs of values['skip-baseline'] ? [] : [1000, 100]) {
    const relay = startRelay({
      pool,
      actors: [actor, notificationActor],
      intervalMs,
      groups: inProcess,
      onEffect: (g, e, s, end) => record(g as GroupName, e, s, end),
    });
    if (intervalMs === 1000) await warmUp(intervalMs);
    baseline[intervalMs] = await ratePhase(`baseline: outbox polled every ${intervalMs} ms`, intervalMs);
    if (intervalMs === 100)
      baselineEps = await burstPhase('baseline throughput (relay every 100 ms)', intervalMs);
    await relay.stop();
  }

  // Outstream: the three groups as Kafka consumer groups, one process each as deployed (bench
  // group ids, from the current end).
  const floor = await floorPhase();
  const running = await Promise.all(groupNames.map(runner));
  await warmUp();
  const outstream = await ratePhase('Outstream: Debezium → Kafka → consumer groups');
  const outstreamEps = await burstPhase('Outstream throughput');
  for (const r of running) await r.stop();

  console.log('\nsummary');
  for (const g of groupNames) {
    const b1 = baseline[1000]?.[g].p99 ?? Number.NaN;
    const b100 = baseline[100]?.[g].p99 ?? Number.NaN;
    const o = outstream[g].p99;
    const ratio = (b: number) => (Number.isNaN(b) ? '' : ` (${(b / o).toFixed(1)}x)`);
    console.log(
      `  ${g.padEnd(19)} p99 Outstream ${ms(o)} | relay 100 ms ${ms(b100)}${ratio(b100)} | relay 1 s ${ms(b1)}${ratio(b1)}`,
    );
  }
  if (!Number.isNaN(baselineEps))
    console.log(
      `  throughput ratio (Outstream / relay every 100 ms): ${(outstreamEps / baselineEps).toFixed(2)}`,
    );
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const targets: [string, boolean][] = [];
  for (const g of ['cache-invalidation', 'notifications'] as const) {
    const o = outstream[g];
    if (o)
      targets.push([
        `${g} p50 ≤ 30 ms, p99 ≤ 100 ms (${o.p50.toFixed(0)} / ${o.p99.toFixed(0)} ms)`,
        o.p50 <= 30 && o.p99 <= 100,
      ]);
  }
  if (outstream.analytics)
    targets.push([
      `analytics p99 ≤ 250 ms (${outstream.analytics.p99.toFixed(0)} ms)`,
      outstream.analytics.p99 <= 250,
    ]);
  for (const g of groupNames) {
    const b100 = baseline[100]?.[g].p99;
    if (b100 !== undefined)
      targets.push([
        `${g} p99 faster than the 100 ms relay (ratio ${(b100 / outstream[g].p99).toFixed(2)} > 1)`,
        b100 / outstream[g].p99 > 1,
      ]);
  }
  if (!Number.isNaN(floor.kcat))
    targets.push([
      `the port's bare reader p99 ≤ 1.2× kcat's (${(floor.port / floor.kcat).toFixed(2)}×)`,
      floor.port / floor.kcat <= 1.2,
    ]);
  targets.push([`throughput ≥ 5,000 events/s (${outstreamEps.toFixed(0)})`, outstreamEps >= 5_000]);
  if (!Number.isNaN(baselineEps))
    targets.push([
      `throughput ≥ 1.5× the 100 ms relay (${(outstreamEps / baselineEps).toFixed(2)}×)`,
      outstreamEps / baselineEps >= 1.5,
    ]);
  console.log('\ntargets (issue 11)');
  for (const [what, ok] of targets) console.log(`  ${verdict(ok).padEnd(6)} ${what}`);

  // Tidy up what the bench wrote (the topics keep their events until retention).
  await pool.query(
    'DELETE FROM notifications WHERE recipient_id = $1 OR recipient_id IN (SELECT user_id FROM notification_users WHERE hotel_id = ANY($2))',
    [guestId, hotels],
  );
  await pool.query('DELETE FROM notification_users WHERE hotel_id = ANY($1) OR user_id = $2', [
    hotels,
    guestId,
  ]);
  await pool.query('DELETE FROM notification_preferences WHERE user_id = $1', [guestId]);
  await pool.query('DELETE FROM outbox WHERE actor = ANY($1)', [[actor, notificationActor]]);
  mailer.close();
  await cache.close();
  redis.disconnect();
  await pool.end();
  const ratio =
    (baseline[100]?.['cache-invalidation']?.p99 ?? Number.NaN) /
    (outstream['cache-invalidation']?.p99 ?? Number.NaN);
  console.log('(p99 ratio: cache-invalidation, baseline relay polling every 100 ms / Outstream)');
  console.log(`p99 ratio: ${ratio.toFixed(2)}`);
  return figures.figures;
}

// Flags are checked before any stack starts.
const sweep = sweepPlan();
runPasses({ ...passesFlags(values, usage), stopChildren, log: console.log }, pass).then(
  () => process.exit(0),
  (e: unknown) => {
    // A stack that cannot start says why in its message (ports in use, a component's log).
    console.error(isOutstreamError(e, ErrorCode.stack) ? e.message : e);
    process.exit(1);
  },
);
