// Soak (not CI): the whole platform under steady load for a long time, with the memory of
// every process sampled. A private stack (ports shifted 9000 from the shared stack's; state in
// a temporary directory) runs every component; `npm start` runs the groups and the gateway on
// it; a load generator emits one event per transaction; SSE clients (stock EventSources,
// up to 5,000 per process: each process may hold 20,000 open files here) follow hotel
// channels. Prints per process: RSS at start and end, the maximum, the growth in MB/h (least
// squares after the warm-up), restarts and open files; then what the clients saw.
// Usage: npm run soak [-- --minutes 30] [--rate 500] [--clients 1000] [--sample-s 10]
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCli } from '../core/cli.ts';
import { type Component, components, loadConfig } from '../core/config.ts';
import { waitFor } from '../core/wait.ts';
import { mintToken } from '../realtime/server/auth.ts';
import { startLoad } from '../test/faults/load-control.ts';
import { platformProcesses, startPlatform } from '../test/faults/platform.ts';
import { createPrivateStack } from '../test/faults/private-stack.ts';
import { createSampler, rssTable, type Target } from '../test/faults/rss.ts';
import { clientsPerProcess, openFleet } from '../test/faults/sse-fleet.ts';
import { registerStaff } from '../test/faults/staff.ts';
import { createWitness } from '../test/faults/witness.ts';

const usage = `usage: npm run soak [-- --minutes 30] [--rate 500] [--clients 1000] [--sample-s 10]
    [--hotels N] [--rooms 5] [--keep]
  The whole platform on a private stack (ports shifted 9000 from the shared stack's) under
  steady emit() load (one event per transaction) with SSE clients connected; the memory of
  every process (stack components and platform processes) sampled every --sample-s seconds.
  Prints per process: start, end and max MB, growth in MB/h (least squares after a warm-up of
  a quarter of the run, at most 5 minutes), restarts and open files. Clients run ${clientsPerProcess.toLocaleString('en')} per
  process: every process may hold 20,000 open files here. Needs about 2 GB of memory.
  --hotels  channels the clients spread over (default clients / 10: ten clients per hotel)
  --keep    keep the private stack's directory (logs) afterwards`;
const { values } = parseCli(
  {
    options: {
      minutes: { type: 'string', default: '30' },
      rate: { type: 'string', default: '500' },
      clients: { type: 'string', default: '1000' },
      'sample-s': { type: 'string', default: '10' },
      hotels: { type: 'string' },
      rooms: { type: 'string', default: '5' },
      keep: { type: 'boolean', default: false },
    },
  },
  usage,
);
const num = (flag: string, text: string, integer = true) => {
  const n = Number(text);
  if (!(n > 0) || (integer && !Number.isInteger(n))) {
    console.error(
      `--${flag}: expected a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(text)}\n${usage}`,
    );
    process.exit(2);
  }
  return n;
};
const minutes = num('minutes', values.minutes, false);
const rate = num('rate', values.rate);
const clients = num('clients', values.clients);
const sampleMs = num('sample-s', values['sample-s'], false) * 1000;
const hotelCount = values.hotels ? num('hotels', values.hotels) : Math.max(1, Math.round(clients / 10));
const rooms = num('rooms', values.rooms);

const secret = 'soak-secret-not-for-production';
const started = Date.now();
const log = (line: string) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);
const stack = createPrivateStack({ shared: loadConfig(process.env), step: 9_000, keep: values.keep });
const run = `soak${randomUUID().slice(0, 6)}`;
const actor = `soak:${run}`;
const hotels = Array.from({ length: hotelCount }, (_, i) => `${run}-h${i}`);
const cleanup: (() => Promise<unknown>)[] = [() => stack.down()];
let exitCode = 0;

try {
  log(`private stack: offset ${stack.config.stack.portOffset}, ${stack.dir}`);
  await stack.up();
  const platform = startPlatform(stack, {
    env: {
      SSE_JWT_SECRET: secret,
      SSE_MAX_CONNECTIONS: String(Math.max(10_000, clients * 2)),
      SSE_MAX_CONNECTIONS_PER_IP: String(Math.max(100, clients * 2)),
    },
  });
  cleanup.unshift(() => platform.stop());
  await platform.ready(240_000);
  const witness = createWitness(stack.config);
  cleanup.unshift(() => witness.close());
  log(`npm start ready; log ${platform.logFile}`);
  const specs = await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const channels = [`hotel:${hotels[i % hotels.length]}`];
      return {
        channels,
        token: await mintToken({ secret, subject: `soak-${i}`, patterns: channels, ttlSeconds: 86_400 }),
      };
    }),
  );
  const fleet = await openFleet([`http://127.0.0.1:${stack.config.sse.port}`], specs, true);
  cleanup.unshift(() => fleet.close());
  log(`${clients} SSE clients connected over ${hotelCount} hotel channels`);
  await registerStaff(stack.config, witness.pool, hotels, actor);
  const load = await startLoad({ rate, hotels, roomsPerHotel: rooms, actor }, stack.env);
  cleanup.unshift(() => load.stop());

  const targets = (): Target[] => [
    ...components.map((c: Component) => ({
      name: c === 'postgres' ? 'postgres (tree, PSS)' : c,
      pid: stack.pid(c),
      tree: c === 'postgres',
    })),
    { name: 'npm start (supervisor)', pid: platform.pid },
    ...platformProcesses.map((p) => ({ name: p === 'realtime' ? 'gateway' : p, pid: platform.pidOf(p) })),
    { name: 'load generator', pid: load.pid },
    ...fleet.pids().map((pid, i) => ({ name: `SSE clients #${i + 1}`, pid })),
    { name: 'soak (this process)', pid: process.pid },
  ];
  const sampler = createSampler(targets);
  sampler.sample();
  load.go();
  log(`load: ${rate} events/s for ${minutes} min; sampling every ${sampleMs / 1000} s`);
  const end = Date.now() + minutes * 60_000;
  let delivered = 0;
  const seen = { repeated: 0, gaps: 0, outOfOrder: 0, resets: 0, gaveUp: 0, disconnects: 0, reconnects: 0 };
  let nextLine = Date.now() + 60_000;
  let committedAtLine = 0;
  while (Date.now() < end) {
    await sleep(Math.min(sampleMs, Math.max(0, end - Date.now())));
    sampler.sample();
    if (Date.now() >= nextLine || Date.now() >= end) {
      const { stats, open } = await fleet.stats();
      delivered += stats.events;
      for (const k of Object.keys(seen) as (keyof typeof seen)[]) seen[k] += stats[k];
      const committed = load.commits.length;
      log(
        `${committed} events committed (${((committed - committedAtLine) / 60).toFixed(0)}/s), ${load.failures()} failed; ` +
          `${delivered} SSE deliveries, ${open}/${clients} clients open; lag ${JSON.stringify(await witness.lag().catch(() => ({})))}`,
      );
      committedAtLine = committed;
      nextLine += 60_000;
    }
  }
  await load.pause();
  const caughtUp = await waitFor(async () => Object.values(await witness.lag()).every((n) => n === 0), {
    timeoutMs: 180_000,
    intervalMs: 1_000,
    what: 'every group to catch up',
  }).then(
    () => `every group caught up ${((Date.now() - end) / 1000).toFixed(0)} s after the load stopped`,
    (e: Error) => e.message,
  );
  const last = await fleet.stats();
  delivered += last.stats.events;
  for (const k of Object.keys(seen) as (keyof typeof seen)[]) seen[k] += last.stats[k];
  const committed = load.commits.length;
  const dead = await witness.deadLetters();
  const health = await platform.health();
  console.log(
    `\nsoak: ${minutes} min, ${committed} events committed (${(committed / (minutes * 60)).toFixed(0)}/s of ${rate}/s asked), ${load.failures()} transactions failed`,
  );
  console.log(`${caughtUp}; dead letters ${JSON.stringify(dead)}; health ${JSON.stringify(health)}`);
  console.log(
    `SSE: ${clients} clients (${last.open} open at the end), ${delivered} deliveries; repeated ${seen.repeated}, ` +
      `sequence gaps ${seen.gaps}, out of order ${seen.outOfOrder}, resets ${seen.resets}, disconnect events ${seen.disconnects}, ` +
      `reconnects ${seen.reconnects}, EventSources that gave up ${seen.gaveUp}`,
  );
  console.log(`\nmemory (RSS; PostgreSQL: PSS of its whole process tree), warm-up excluded from the slope:`);
  console.log(rssTable(sampler.summary(Math.min(300_000, (minutes * 60_000) / 4))));
} catch (e) {
  console.error(`soak aborted: ${(e as Error).stack ?? e}`);
  exitCode = 1;
} finally {
  for (const step of cleanup) await step().catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
}
process.exit(exitCode);
