import { execFile } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Component, loadConfig, type OutstreamConfig } from '../../core/config.ts';
import { StackError } from '../../core/errors.ts';
import { type KafkaNodeCount, writeStackProfile } from '../../core/stack-profile.ts';
import { waitFor } from '../../core/wait.ts';
import { setupPlatform } from '../../infra/setup.ts';
import { connect } from '../../infra/stack/components/connect.ts';
import { kafka, kafkaNodePids } from '../../infra/stack/components/kafka.ts';
import { postgres } from '../../infra/stack/components/postgres.ts';
import { redis } from '../../infra/stack/components/redis.ts';
import { registry } from '../../infra/stack/components/registry.ts';
import { smtp } from '../../infra/stack/components/smtp.ts';
import { findTools } from '../../infra/stack/prerequisites.ts';
import { stackDown, stackUp } from '../../infra/stack/stack.ts';

const run = promisify(execFile);
const runners = { postgres, redis, kafka, smtp, registry, connect } as const;

/**
 * Variables that point a process at a stack: a private stack's processes get none of the
 * caller's (the caller may itself run against the shared stack), only the two below.
 */
const stackVariables = [
  'KAFKA_BROKERS',
  'SCHEMA_REGISTRY_URL',
  'CONNECT_URL',
  'CONNECT_DATABASE_URL',
  'DATABASE_URL',
  'REDIS_URL',
  'SMTP_URL',
  'SMTP_SINK_URL',
  'SSE_PORT',
  'OUTSTREAM_STACK_DIR',
  'OUTSTREAM_PORT_OFFSET',
  'OUTSTREAM_HEALTH_PORT',
  'OUTSTREAM_CONNECTOR_NAME',
  'OUTSTREAM_GROUP_SUFFIX',
  'OUTSTREAM_START_AT',
];

/**
 * The port offset of a private stack: `step` above the shared stack's, or below it when that
 * would pass 13000 (the largest offset that keeps every port under the ephemeral range), or
 * `step` itself when neither fits (a large step from a shifted stack: 11000 from 10000).
 */
export function privateOffset(sharedOffset: number, step: number): number {
  if (sharedOffset + step <= 13_000) return sharedOffset + step;
  return sharedOffset - step >= 0 ? sharedOffset - step : step;
}

/** A whole second stack (every component) on its own ports and state directory. */
export interface PrivateStack {
  config: OutstreamConfig;
  /** The environment for processes that run against this stack (`npm start`, load, clients). */
  env: NodeJS.ProcessEnv;
  /** Starts every component that is not running (the stack's own `up`: reuses healthy ones). */
  up(): Promise<void>;
  /** Migrations, topics, schemas and the connector (`npm run setup`). */
  setup(): Promise<void>;
  pid(component: Component): number | undefined;
  /** SIGKILLs a component's process and waits until it is gone. */
  kill(component: Component): Promise<number>;
  /** SIGKILLs one KRaft node (1-based id, as the broker ids) and waits until it is gone. */
  killKafkaNode(node: number): Promise<number>;
  /** Stops a component the way `stack:down` does (SIGTERM, then SIGKILL after the grace). */
  stop(component: Component): Promise<void>;
  /** `pg_ctl restart -m immediate`: every backend killed, crash recovery, back up. */
  restartPostgresImmediately(): Promise<void>;
  /** Stops every component and removes the state directory (unless kept). */
  down(): Promise<void>;
  dir: string;
}

/** Options of {@link createPrivateStack}. */
export interface PrivateStackOptions {
  /** The shared stack's config: its resolved jars are copied, its offset is the base. */
  shared: OutstreamConfig;
  /** Distance from the shared stack's offset (default 5000). */
  step?: number;
  /** The port offset itself, instead of one `step` from the shared stack's. */
  offset?: number;
  /**
   * Names the state directory (`outstream-<name>-<offset>-<pid>`, default `faults`): two
   * private stacks of one process on the same offset, one after the other, need two names.
   */
  name?: string;
  /** Keep the state directory after `down` (its logs, for a post-mortem). */
  keep?: boolean;
  /** KRaft nodes: 1 (default) or 3, the cluster profile (`stack:up -- --brokers 3`). */
  kafkaNodes?: KafkaNodeCount;
}

/**
 * A private stack beside the shared one, built and run with the stack's own code
 * (`infra/stack`), as `infra/stack/cold-maven.int.test.ts` does. The shared stack's resolved
 * jars (with their stamps) are copied in, sparing Maven runs.
 */
export function createPrivateStack(o: PrivateStackOptions): PrivateStack {
  const offset = o.offset ?? privateOffset(o.shared.stack.portOffset, o.step ?? 5_000);
  const dir = path.join(os.tmpdir(), `outstream-${o.name ?? 'faults'}-${offset}-${process.pid}`);
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !stackVariables.includes(k)),
  ) as NodeJS.ProcessEnv;
  const env: NodeJS.ProcessEnv = {
    ...base,
    OUTSTREAM_STACK_DIR: path.join(dir, 'stack'),
    OUTSTREAM_PORT_OFFSET: String(offset),
  };
  // The profile is read from the stack directory by every process run against the stack.
  if (o.kafkaNodes !== undefined && o.kafkaNodes !== 1) {
    writeStackProfile(env.OUTSTREAM_STACK_DIR!, { kafkaNodes: o.kafkaNodes });
  }
  const config = loadConfig(env);
  let prepared = false;
  const killPid = async (pid: number, what: string) => {
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid), { timeoutMs: 10_000, intervalMs: 50, what: `${what} to die` });
    return pid;
  };

  return {
    config,
    env,
    dir,
    async up() {
      if (!prepared) {
        // Another stack on these ports (another checkout's, another test's) would be found one
        // component at a time, after some of ours had started: refuse before starting any.
        const busy = await busyPorts(Object.values(config.stack.ports));
        if (busy.length > 0)
          throw new StackError(
            'private stack',
            `ports of offset ${offset} are in use: ${busy.join(', ')}; is another stack running there?`,
          );
        mkdirSync(config.stack.dir, { recursive: true });
        // PostgreSQL runs as the postgres user: it must be able to reach its data directory.
        chmodSync(dir, 0o755);
        for (const sub of ['lib', 'plugins']) {
          const from = path.join(o.shared.stack.dir, sub);
          if (existsSync(from)) cpSync(from, path.join(config.stack.dir, sub), { recursive: true });
        }
        prepared = true;
      }
      await stackUp(config);
    },
    setup: () => setupPlatform(config),
    pid: (component) => runners[component].runningPid(config),
    async kill(component) {
      const pid = runners[component].runningPid(config);
      if (pid === undefined) throw new Error(`${component} of the private stack is not running`);
      return killPid(pid, component);
    },
    async killKafkaNode(node) {
      const pid = kafkaNodePids(config)[node - 1];
      if (pid === undefined) throw new Error(`Kafka node ${node} of the private stack is not running`);
      return killPid(pid, `Kafka node ${node}`);
    },
    async stop(component) {
      await runners[component].stop(config);
    },
    async restartPostgresImmediately() {
      const pgBin = findTools().pgBin;
      if (!pgBin) throw new Error('pg_ctl not found');
      const data = path.join(config.stack.dir, 'postgres', 'data');
      const log = postgres.logFile(config);
      // -l: without a log file the new postmaster would hold pg_ctl's stdout open, and with it
      // this call. The port comes from postmaster.opts (the options of the last start).
      const argv = [
        path.join(pgBin, 'pg_ctl'),
        '-D',
        data,
        '-l',
        log,
        '-w',
        '-t',
        '60',
        'restart',
        '-m',
        'immediate',
      ];
      // pg_ctl refuses root, as initdb does: run it as the cluster's owner.
      const asRoot = process.getuid?.() === 0;
      await run(asRoot ? 'runuser' : argv[0]!, asRoot ? ['-u', 'postgres', '--', ...argv] : argv.slice(1));
    },
    async down() {
      await stackDown(config).catch(() => {});
      // A component still starting when `up` failed has no pid file yet: whatever runs in or
      // from this directory is ours (its name carries our pid).
      for (const pid of processesUnder(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (!o.keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/** The ports among `ports` that something on 127.0.0.1 accepts connections on. */
async function busyPorts(ports: readonly number[]): Promise<number[]> {
  const answers = await Promise.all(
    ports.map(
      (port) =>
        new Promise<boolean>((resolve) => {
          const socket = net.connect({ host: '127.0.0.1', port });
          socket.setTimeout(1_000, () => {
            socket.destroy();
            resolve(false);
          });
          socket.once('connect', () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('error', () => resolve(false));
        }),
    ),
  );
  return ports.filter((_, i) => answers[i]);
}

/** Processes whose command line names `dir` or whose working directory lies in it. */
function processesUnder(dir: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cmdline.includes(`${dir}/`) || cwd === dir || cwd.startsWith(`${dir}/`)) out.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}
