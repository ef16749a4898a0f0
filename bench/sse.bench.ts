// Realtime gateway benchmark, side by side with the seeds' design, in one run:
//  1. connections held by one gateway process (heartbeats on) and RSS per connection, beside a
//     bare node:http SSE server holding as many;
//  2. commit → client latency at a steady event rate fanned out to subscribers: Outstream
//     (outbox → Debezium → Kafka → gateway) vs Redis pub/sub → a bare SSE endpoint (publish
//     after commit), both fed by the same transactions;
//  3. a forced reconnect storm mid-run: every subscriber's socket is cut at once and reopened
//     (Outstream with Last-Event-ID; the baseline has nothing to resume from); events lost.
// Servers and load generators are separate processes (each has its own 20,000 open-files
// limit): the generator side is split across processes so none holds more than 7,500 sockets.
// Usage: npm run bench:sse [-- --quick] [--connections 15000] [--subscribers 1000] [--rate 1000]
//   [--seconds 20]. Needs the stack (npm start), or with `--profiles single,cluster` starts a
//   private stack per profile itself (bench/profile-stacks.ts) and prints every figure side by
//   side. Prints figures; asserts nothing. 127.0.0.1 only.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { parseCli } from '../core/cli.ts';
import { ErrorCode, isOutstreamError } from '../core/errors.ts';
import { createSchemaRegistry } from '../core/schema-registry.ts';
import { waitFor } from '../core/wait.ts';
import { type AnyEmitInput, createEmitter, createSchemaIds } from '../producers/index.ts';
import { mintToken } from '../realtime/server/auth.ts';
import { samples } from '../schemas/index.ts';
import { cpuSnapshot } from './cpu.ts';
import {
  type BenchStack,
  passesCliOptions,
  passesFlags,
  privateStep,
  runPasses,
  stopProcesses,
} from './profile-stacks.ts';
import { type FigureLog, figureLog } from './profiles.ts';
import type { LoadCommand, LoadReply } from './sse-load.ts';

const usage = `usage: npm run bench:sse [-- --quick] [--connections 15000] [--subscribers 1000] [--rate 1000]
    [--seconds 20] [--fanout-sweep 1000,5000,10000 [--channels 10]]
  --fanout-sweep  only the fan-out of one gateway node: for each subscriber count in turn,
                  --rate events/s spread over --channels hotel channels (each event reaches
                  subscribers / channels streams); prints deliveries/s, commit → client p50/p99,
                  the gateway's CPU per million deliveries and the node's ceiling on this machine
  --profiles single,cluster [--stack-offset N] [--keep]
                  the run (or the sweep) once per profile, in this order, each on a private stack
                  the bench starts, sets up (as npm run setup), warms up (2,000 events through
                  Debezium and Kafka), lets settle (< 0.5 cores busy) and stops before the next
                  starts — not the configured stack, which only lends its jars: one stack up at a
                  time, each from the same state — then every figure side by side: single |
                  cluster | cluster/single. single: one KRaft node, replication 1; cluster: three
                  nodes, replication 3, min.insync.replicas 2 (npm run stack:up -- --brokers 3).
                  Ports: the configured stack's shifted ${privateStep} (or ${privateStep} below past 13000), or
                  --stack-offset N; a stack whose ports are in use is refused before any of its
                  components starts. Ctrl-C stops the pass's processes and the stack. --keep
                  keeps each stack's directory (logs). Quick form: --quick (both profiles in about
                  4 min here)`;
const { values } = parseCli(
  {
    options: {
      quick: { type: 'boolean', default: false },
      connections: { type: 'string' },
      subscribers: { type: 'string' },
      rate: { type: 'string' },
      seconds: { type: 'string' },
      'fanout-sweep': { type: 'string' },
      channels: { type: 'string' },
      ...passesCliOptions,
    },
  },
  usage,
);
const quick = values.quick;
const connections = Number(values.connections ?? (quick ? 1_000 : 15_000));
const subscribers = Number(values.subscribers ?? (quick ? 200 : 1_000));
const rate = Number(values.rate ?? (quick ? 200 : 1_000));
const seconds = Number(values.seconds ?? (quick ? 6 : 20));
const heartbeatMs = 5_000;
const perGenerator = 7_500;
// The stack of the pass running now (one per profile with --profiles), and what it measured.
let stack: BenchStack;
let figures: FigureLog;
const secret = 'bench-secret-not-for-production';
const children: ChildProcess[] = [];
const run = randomUUID().slice(0, 6);

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

function node(script: string, args: string[] = [], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...stack.env, ...env },
  });
  children.push(child);
  return child;
}

function rss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return Number(line?.[1] ?? 0) * 1024;
}

function ask<R extends LoadReply['reply']>(
  gen: ChildProcess,
  command: LoadCommand,
  reply: R,
): Promise<Extract<LoadReply, { reply: R }>> {
  return new Promise((resolve) => {
    const on = (m: LoadReply) => {
      if (m.reply !== reply) return;
      gen.off('message', on);
      resolve(m as Extract<LoadReply, { reply: R }>);
    };
    gen.on('message', on);
    gen.send(command);
  });
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

async function startOutstream(): Promise<{ port: number; pid: number }> {
  const port = await freePort();
  const child = node('realtime/main.ts', [], {
    SSE_PORT: String(port),
    SSE_JWT_SECRET: secret,
    SSE_HEARTBEAT_MS: String(heartbeatMs),
    SSE_MAX_CONNECTIONS: String(connections + 1_000),
    // Every bench client comes from 127.0.0.1.
    SSE_MAX_CONNECTIONS_PER_IP: String(connections + 1_000),
    SSE_RETRY_MS: '500',
    LOG_LEVEL: 'warn',
  });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok, {
    timeoutMs: 60_000,
    what: 'the gateway',
  });
  return { port, pid: child.pid! };
}

async function startBare(redisUrl?: string): Promise<{ port: number; pid: number }> {
  const args = ['--heartbeat', String(heartbeatMs), ...(redisUrl ? ['--redis', redisUrl] : [])];
  const child = node('bench/bare-sse-server.ts', args);
  const { port } = await new Promise<{ port: number }>((r) =>
    child.once('message', (m) => r(m as { port: number })),
  );
  return { port, pid: child.pid! };
}

function generators(count: number): ChildProcess[] {
  return Array.from({ length: count }, () => node('bench/sse-load.ts'));
}

/** Opens `paths` spread over the generators; returns how many streams answered 200. */
async function open(gens: ChildProcess[], port: number, paths: string[]): Promise<number> {
  const share = Math.ceil(paths.length / gens.length);
  const replies = await Promise.all(
    gens.map((g, i) =>
      ask(
        g,
        { cmd: 'open', port, paths: paths.slice(i * share, (i + 1) * share), concurrency: 100 },
        'opened',
      ),
    ),
  );
  return replies.reduce((n, r) => n + r.ok, 0);
}

async function closeAll(gens: ChildProcess[]): Promise<void> {
  await Promise.all(gens.map((g) => ask(g, { cmd: 'close' }, 'closed')));
}

// ── 1. Connections and memory ────────────────────────────────────────────────────────────
async function memory(token: string, gateway: { port: number; pid: number }) {
  const bare = await startBare();
  const gens = generators(Math.ceil(connections / perGenerator));
  const rows: { name: string; held: number; perConn: number }[] = [];
  for (const [name, server, path] of [
    ['outstream gateway', gateway, (i: number) => `/v1/stream?channels=user:u${run}${i}&token=${token}`],
    ['bare node:http SSE', bare, (i: number) => `/stream?channels=user:u${run}${i}`],
  ] as const) {
    // Warm up (JIT, pools), then measure from an idle baseline.
    await open(
      gens,
      server.port,
      Array.from({ length: 500 }, (_, i) => path(i)),
    );
    await closeAll(gens);
    await sleep(2_000);
    const before = rss(server.pid);
    const started = performance.now();
    const held = await open(
      gens,
      server.port,
      Array.from({ length: connections }, (_, i) => path(i)),
    );
    const openSeconds = (performance.now() - started) / 1000;
    await sleep(heartbeatMs + 1_000); // at least one heartbeat round to every stream
    const after = rss(server.pid);
    rows.push({ name, held, perConn: (after - before) / held });
    figures.add(`${connections} connections held`, `${name} streams held`, 'count', held);
    figures.add(
      `${connections} connections held`,
      `${name} RSS per connection`,
      'KB',
      (after - before) / held / 1024,
    );
    console.log(
      `${name.padEnd(20)} held ${held}/${connections} streams (opened in ${openSeconds.toFixed(1)} s), ` +
        `RSS ${kb(before)} → ${kb(after)}: ${kb((after - before) / held)} per connection`,
    );
    await closeAll(gens);
  }
  const [o, b] = rows;
  console.log(`RSS per connection, gateway / bare server: ${(o!.perConn / b!.perConn).toFixed(2)}×\n`);
  for (const g of gens) g.kill();
}

// ── 2–3. Latency and reconnect storm ────────────────────────────────────────────────────────
/** One latency run: who subscribes, how fast events come, and whether the baseline and the storm run. */
interface LatencyPlan {
  subscribers: number;
  hotels: number;
  rate: number;
  seconds: number;
  /** The Redis pub/sub baseline and the reconnect storm (the default run); off in the fan-out sweep. */
  compare: boolean;
}

/** Outstream's figures of one run. */
interface LatencyResult {
  p50: number;
  p99: number;
  lost: number;
  duplicates: number;
  delivered: number;
  byWindow: string;
  subscribed: number;
  emitted: number;
  elapsedSeconds: number;
}

async function latency(
  token: string,
  gateway: { port: number },
  { subscribers, hotels, rate, seconds, compare }: LatencyPlan,
): Promise<LatencyResult> {
  const redisUrl = stack.config.redis.url;
  const bare = compare ? await startBare(redisUrl) : undefined;
  // At most `perGenerator` sockets per generator process (the open-files limit).
  const outGens = generators(Math.ceil(subscribers / perGenerator));
  const [redisGen] = compare ? generators(1) : [];
  const hotelOf = (i: number) => `bh${run}-${i % hotels}`;
  const okOut = await open(
    outGens,
    gateway.port,
    Array.from({ length: subscribers }, (_, i) => `/v1/stream?channels=hotel:${hotelOf(i)}&token=${token}`),
  );
  const okRedis =
    redisGen && bare
      ? await open(
          [redisGen],
          bare.port,
          Array.from({ length: subscribers }, (_, i) => `/stream?channels=hotel:${hotelOf(i)}`),
        )
      : 0;
  console.log(
    `${okOut} Outstream${compare ? ` and ${okRedis} Redis-baseline` : ''} subscribers on ${hotels} hotel channels ` +
      `(${subscribers / hotels} per channel); ${rate} events/s for ${seconds} s` +
      (compare ? `, storm at ${seconds / 2} s` : ''),
  );

  const pool = new pg.Pool({ connectionString: stack.config.database.url, max: 8 });
  const redis = compare ? new Redis(redisUrl) : undefined;
  const emitter = createEmitter({
    schemaIds: createSchemaIds(createSchemaRegistry({ url: stack.config.registry.url })),
  });
  const events = new Map<string, { hotel: string; committedAt: number }>();
  // A tick every 10 ms emits what fell due since the last: `rate` per second, also below 100.
  const dueBy = (tick: number) => Math.floor((tick * rate) / 100);
  let seq = 0;
  let inFlight = 0;
  let stormAt = Number.POSITIVE_INFINITY;
  let storm: Promise<unknown> | undefined;

  async function tick(count: number) {
    inFlight++;
    const batch: AnyEmitInput[] = Array.from({ length: count }, () => {
      const bookingId = randomUUID();
      const hotelId = `bh${run}-${seq++ % hotels}`;
      return {
        type: 'booking.created',
        aggregateId: bookingId,
        payload: { ...samples['booking.created'], bookingId, hotelId },
      };
    });
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const emitted = await emitter.emitMany(client, batch);
      await client.query('COMMIT');
      const committedAt = performance.timeOrigin + performance.now();
      const pipeline = redis?.pipeline();
      emitted.forEach((e, i) => {
        const input = batch[i]!;
        const hotel = (input.payload as { hotelId: string }).hotelId;
        events.set(e.eventId, { hotel, committedAt });
        // The seeds' design: publish the realtime message after the commit.
        const data = { id: e.eventId, type: e.type, channel: `hotel:${hotel}`, payload: input.payload };
        pipeline?.publish(`hotel:${hotel}`, JSON.stringify(data));
      });
      await pipeline?.exec();
    } finally {
      client.release();
      inFlight--;
    }
  }

  const started = performance.now();
  const startedAt = performance.timeOrigin + started;
  const timers: Promise<void>[] = [];
  let ticks = 0;
  while (performance.now() - started < seconds * 1000) {
    const due = started + ticks * 10;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    ticks++;
    const count = dueBy(ticks) - dueBy(ticks - 1);
    if (inFlight < 64 && count > 0) timers.push(tick(count));
    if (compare && !storm && performance.now() - started >= (seconds * 1000) / 2) {
      stormAt = performance.timeOrigin + performance.now();
      storm = Promise.all([
        ask(outGens[0]!, { cmd: 'storm', resume: true }, 'stormed'),
        ask(redisGen!, { cmd: 'storm', resume: false }, 'stormed'),
      ]);
    }
  }
  await Promise.all(timers);
  const elapsed = (performance.now() - started) / 1000;
  const stormed = (await storm) as Extract<LoadReply, { reply: 'stormed' }>[] | undefined;
  console.log(
    `emitted ${events.size} events in ${elapsed.toFixed(1)} s (${(events.size / elapsed).toFixed(0)}/s)` +
      (stormed
        ? `; storm reopened ${stormed[0]!.reopened} Outstream and ${stormed[1]!.reopened} baseline streams`
        : ''),
  );

  // Wait until deliveries settle (resumes may still be catching up).
  let last = -1;
  const reporters = [...outGens, ...(redisGen ? [redisGen] : [])];
  for (let i = 0; i < 30; i++) {
    await sleep(2_000);
    const counts = await Promise.all(reporters.map((g) => ask(g, { cmd: 'count' }, 'count')));
    const total = counts.reduce((n, c) => n + c.received, 0);
    if (total === last) break;
    last = total;
  }
  const reports = await Promise.all(reporters.map((g) => ask(g, { cmd: 'report' }, 'report')));

  const byHotel = new Map<string, string[]>();
  for (const [id, e] of events) {
    const list = byHotel.get(e.hotel) ?? [];
    list.push(id);
    byHotel.set(e.hotel, list);
  }
  // The Outstream streams are spread over several generators: one report of them all.
  const merged = [
    { received: reports.slice(0, outGens.length).flatMap((r) => r.received) },
    ...(redisGen ? [reports.at(-1)!] : []),
  ];
  const results = merged.map((report) => {
    const latencies: number[] = [];
    const windows = new Map<number, number[]>();
    let lost = 0;
    let duplicates = 0;
    let delivered = 0;
    for (const conn of report.received) {
      const hotel = /hotel:([^&]+)/.exec(conn.path)![1]!;
      const expected = byHotel.get(hotel) ?? [];
      const seen = new Set<string>();
      conn.ids.forEach((id, i) => {
        if (seen.has(id)) {
          duplicates++;
          return;
        }
        seen.add(id);
        const e = events.get(id);
        // Steady state: events committed at least 2 s before the storm (later ones may be
        // in flight when it cuts the sockets and arrive through the resume).
        if (e && e.committedAt < stormAt - 2_000) {
          latencies.push(conn.times[i]! - e.committedAt);
          const w = Math.floor((e.committedAt - startedAt) / 2000);
          // Appended in place: copying the window's array per delivery was quadratic (the
          // fan-out sweep's 2,000 streams, 2 M deliveries, never finished).
          const window = windows.get(w) ?? [];
          window.push(conn.times[i]! - e.committedAt);
          windows.set(w, window);
        }
      });
      delivered += seen.size;
      lost += expected.filter((id) => !seen.has(id)).length;
    }
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
    const byWindow = [...windows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([w, l]) => {
        l.sort((a, b) => a - b);
        return `${w * 2}s:${l[Math.floor(0.99 * l.length)]!.toFixed(0)}`;
      })
      .join(' ');
    return { p50: pct(50), p99: pct(99), lost, duplicates, delivered, byWindow };
  });
  const [o, r] = results;
  for (const g of reporters) g.kill();
  redis?.disconnect();
  await pool.end();
  const result = { ...o!, subscribed: okOut, emitted: events.size, elapsedSeconds: elapsed };
  if (!r) return result;
  console.log('\ncommit → client (steady state, before the storm), and deliveries over the whole run:');
  const section = `${rate} events/s to ${subscribers} subscribers, storm at ${seconds / 2} s`;
  figures.add(section, 'emitted', 'events/s', events.size / elapsed);
  for (const [name, x] of [
    ['outstream (Kafka)', o!],
    ['redis pub/sub SSE', r],
  ] as const) {
    figures.add(section, `${name} commit → client p50`, 'ms', x.p50);
    figures.add(section, `${name} commit → client p99`, 'ms', x.p99);
    figures.add(section, `${name} delivered`, 'count', x.delivered);
    figures.add(section, `${name} lost across the storm`, 'count', x.lost);
    figures.add(section, `${name} duplicates`, 'count', x.duplicates);
    console.log(
      `${name.padEnd(18)} p50 ${fmt(x.p50)}  p99 ${fmt(x.p99)}  delivered ${x.delivered}  ` +
        `lost across the storm ${x.lost}  duplicates ${x.duplicates}`,
    );
  }
  console.log(`p99 per 2 s window of commit time (ms), outstream: ${o!.byWindow}`);
  console.log(`                                      redis:     ${r.byWindow}`);
  console.log(
    `latency ratio outstream / redis: p50 ${(o!.p50 / r.p50).toFixed(2)}×, p99 ${(o!.p99 / r.p99).toFixed(2)}×`,
  );
  return result;
}

// ── 4. Fan-out of one gateway node ──────────────────────────────────────────────────────────
/**
 * `--fanout-sweep`: one gateway node reads every partition and writes each event to every
 * stream of its channel; it is scaled out by adding nodes, but each node still reads all the
 * traffic. Its ceiling is the deliveries per second past which commit → client grows.
 */
async function fanoutSweep(token: string, gateway: { port: number; pid: number }, counts: number[]) {
  const hotels = Number(values.channels ?? 10);
  const rows: {
    subscribers: number;
    deliveriesPerS: number;
    r: LatencyResult;
    cpuPerM: number;
    busy: number;
  }[] = [];
  for (const n of counts) {
    const before = cpuSnapshot([{ name: 'gateway', pids: [gateway.pid] }]).get('gateway')!;
    const begun = performance.now();
    const r = await latency(token, gateway, { subscribers: n, hotels, rate, seconds, compare: false });
    const used = cpuSnapshot([{ name: 'gateway', pids: [gateway.pid] }]).get('gateway')! - before;
    const wall = (performance.now() - begun) / 1000;
    const deliveriesPerS = r.delivered / r.elapsedSeconds;
    rows.push({
      subscribers: n,
      deliveriesPerS,
      r,
      cpuPerM: (used / Math.max(1, r.delivered)) * 1e6,
      busy: used / wall,
    });
    const section = `fan-out to ${n} streams, ${rate} events/s over ${hotels} channels`;
    figures.add(section, 'streams open', 'count', r.subscribed);
    figures.add(section, 'deliveries', 'deliveries/s', deliveriesPerS);
    figures.add(section, 'commit → client p50', 'ms', r.p50);
    figures.add(section, 'commit → client p99', 'ms', r.p99);
    figures.add(section, 'lost', 'count', r.lost);
    figures.add(section, 'duplicates', 'count', r.duplicates);
    figures.add(section, 'gateway CPU per 1M deliveries', 'core-s/1M', rows.at(-1)!.cpuPerM);
    figures.add(section, 'gateway busy', 'cores', rows.at(-1)!.busy);
    console.log(
      `  ${r.subscribed} streams: ${deliveriesPerS.toFixed(0)} deliveries/s, p50 ${fmt(r.p50)} p99 ${fmt(r.p99)}, ` +
        `lost ${r.lost}, duplicates ${r.duplicates}\n`,
    );
  }
  console.log(
    `fan-out sweep: ${rate} events/s over ${hotels} channels, ${seconds} s per step, one gateway node`,
  );
  console.log(
    '    streams  deliveries/s   p50 / p99 commit → client   lost  dup   gateway core-s per 1M deliveries   busy',
  );
  for (const x of rows)
    console.log(
      `    ${String(x.r.subscribed).padStart(7)}  ${x.deliveriesPerS.toFixed(0).padStart(12)}   ${fmt(x.r.p50).padStart(9)} / ${fmt(x.r.p99).padStart(9)}   ${String(x.r.lost).padStart(5)} ${String(x.r.duplicates).padStart(4)}   ${x.cpuPerM.toFixed(2).padStart(10)}                        ${x.busy.toFixed(2)}`,
    );
  const first = rows[0]!;
  const bound = Math.max(2 * first.r.p99, first.r.p99 + 50);
  const met = rows.filter((x) => x.r.lost === 0 && x.r.p99 <= bound);
  const ceiling = met.at(-1);
  console.log(
    ceiling
      ? `    ceiling on this machine: ~${ceiling.deliveriesPerS.toFixed(0)} deliveries/s per node (the most met with nothing lost and p99 ≤ ${bound.toFixed(0)} ms)`
      : '    no step of the sweep was met: start lower',
  );
}

/** `--fanout-sweep` and `--channels`, validated before any stack starts; undefined without a sweep. */
function sweepCounts(): number[] | undefined {
  if (values['fanout-sweep'] === undefined) return undefined;
  const counts = values['fanout-sweep'].split(',').map((c) => Number(c.trim()));
  const channels = Number(values.channels ?? 10);
  if (counts.some((c) => !Number.isInteger(c) || c < 1 || c > connections) || !(channels >= 1)) {
    console.error(
      `--fanout-sweep: stream counts in 1…${connections} (--connections); --channels ≥ 1\n${usage}`,
    );
    process.exit(2);
  }
  return [...counts].sort((a, b) => a - b);
}

/** The run (or the sweep) on one stack; returns what it measured. */
async function pass(on: BenchStack) {
  stack = on;
  figures = figureLog();
  console.log(
    `sse bench${quick ? ' (quick)' : ''}: ${connections} connections, heartbeat ${heartbeatMs} ms; ` +
      `open-files limit 20,000 per process: ≤ ${perGenerator} sockets per generator process\n`,
  );
  try {
    const token = await mintToken({ secret, subject: 'bench', patterns: ['*'], ttlSeconds: 3_600 });
    const gateway = await startOutstream();
    if (sweep) {
      await fanoutSweep(token, gateway, sweep);
      return figures.figures;
    }
    await memory(token, gateway);
    await latency(token, gateway, {
      subscribers,
      hotels: Math.max(1, Math.round(subscribers / 10)),
      rate,
      seconds,
      compare: true,
    });
    return figures.figures;
  } finally {
    await stopChildren();
  }
}

/** The gateway, the bare servers and the load generators of a pass; resolves once they exited. */
function stopChildren(): Promise<void> {
  return stopProcesses(children.splice(0));
}

// Flags are checked before any stack starts.
const sweep = sweepCounts();
runPasses({ ...passesFlags(values, usage), stopChildren, log: console.log }, pass).catch((e: unknown) => {
  void stopChildren();
  // A stack that cannot start says why in its message (ports in use, a component's log).
  console.error(isOutstreamError(e, ErrorCode.stack) ? e.message : e);
  process.exitCode = 1;
});
