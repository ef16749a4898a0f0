// Where the passes of bench:groups and bench:sse run. Without `--profiles`: one pass on the
// configured stack, as always. With it: one pass per profile, each on a private stack of its
// own (test/faults/private-stack.ts, the fault suite's) that the bench starts, sets up as
// `npm run setup` does, warms up (bench/warm-up-stack.ts), lets settle, measures and stops
// before the next one starts — so no pass shares the cores with another stack's idle JVMs,
// and every pass starts from the same state — then every figure side by side.
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, type OutstreamConfig } from '../core/config.ts';
import type { ComponentRunner } from '../infra/stack/components/component.ts';
import { connect } from '../infra/stack/components/connect.ts';
import { kafkaNodePids } from '../infra/stack/components/kafka.ts';
import { postgres } from '../infra/stack/components/postgres.ts';
import { registry } from '../infra/stack/components/registry.ts';
import { createPrivateStack, type PrivateStack } from '../test/faults/private-stack.ts';
import { type CpuTarget, cpuSnapshot } from './cpu.ts';
import {
  type BenchProfile,
  benchProfiles,
  type Figure,
  parseProfiles,
  parseStackOffset,
  sideBySide,
} from './profiles.ts';
import { warmUpStack } from './warm-up-stack.ts';

/** The stack one pass runs on. */
export interface BenchStack {
  /** The profile of a private stack; undefined for the configured stack. */
  profile?: BenchProfile;
  config: OutstreamConfig;
  /** The environment of the processes the pass starts (groups, load, gateway). */
  env: NodeJS.ProcessEnv;
}

/** The configured stack (the environment's), as every bench ran before profiles. */
export function configuredStack(): BenchStack {
  return { config: loadConfig(process.env), env: process.env };
}

/**
 * The stack's components as CPU targets, each its whole process tree; Kafka sums every KRaft
 * node (three on the cluster profile). Call it once the stack runs: the pids are read now.
 */
export function stackCpuTargets(config: OutstreamConfig): CpuTarget[] {
  const pid = (c: ComponentRunner) => {
    const p = c.runningPid(config);
    return p === undefined ? [] : [p];
  };
  return [
    { name: 'PostgreSQL', pids: pid(postgres), tree: true },
    { name: 'Kafka Connect', pids: pid(connect), tree: true },
    { name: 'Kafka', pids: kafkaNodePids(config).filter((p) => p !== undefined), tree: true },
    { name: 'schema registry', pids: pid(registry), tree: true },
  ];
}

/** Options of {@link runPasses}. */
export interface PassesOptions {
  /** One private stack per profile, in this order; undefined: the configured stack alone. */
  profiles: BenchProfile[] | undefined;
  /** Port offset of the private stacks (one runs at a time, so they share it). */
  offset: number | undefined;
  /** Keep the private stacks' directories (their logs) afterwards. */
  keep: boolean;
  /**
   * Stops what a pass started itself (group processes, load, gateway) and resolves once they
   * exited: on Ctrl-C or a failure, before the stack goes down.
   */
  stopChildren: () => Promise<void>;
  log: (line: string) => void;
}

/** The private stacks' default port offset from the configured stack's (see privateOffset). */
export const privateStep = 8_000;

/** The flags of {@link runPasses} (`--profiles`, `--stack-offset`, `--keep`), for `parseCli`. */
export const passesCliOptions = {
  profiles: { type: 'string' },
  'stack-offset': { type: 'string' },
  keep: { type: 'boolean', default: false },
} as const;

/**
 * The values of {@link passesCliOptions}, checked before any stack starts: exit 2 with what
 * is wrong and the usage.
 */
export function passesFlags(
  values: { profiles?: string | undefined; 'stack-offset'?: string | undefined; keep?: boolean | undefined },
  usage: string,
): Pick<PassesOptions, 'profiles' | 'offset' | 'keep'> {
  try {
    return {
      profiles: values.profiles === undefined ? undefined : parseProfiles(values.profiles),
      offset: values['stack-offset'] === undefined ? undefined : parseStackOffset(values['stack-offset']),
      keep: values.keep ?? false,
    };
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage}`);
    process.exit(2);
  }
}

/**
 * Runs `pass` on each stack in turn and, with two or more profiles, prints every figure the
 * passes recorded side by side. A private stack is stopped (its directory removed unless
 * kept) when its pass ends, fails, or on Ctrl-C; ports already in use are refused before
 * anything starts.
 */
export async function runPasses(
  o: PassesOptions,
  pass: (stack: BenchStack) => Promise<readonly Figure[]>,
): Promise<void> {
  if (!o.profiles) {
    await pass(configuredStack());
    return;
  }
  const shared = loadConfig(process.env);
  const done: { profile: string; figures: readonly Figure[] }[] = [];
  // The stack up now, and its `down` run once (by the pass's end or by Ctrl-C, whichever first).
  let current: { stack: PrivateStack; down: () => Promise<void> } | undefined;
  // Ctrl-C must not leave a private stack and its processes behind (a second Ctrl-C does).
  const interrupted = (signal: NodeJS.Signals) => {
    o.log(
      `${signal}: stopping the pass's processes and the private stack` +
        (current
          ? ` (if this is interrupted too: OUTSTREAM_STACK_DIR=${current.stack.env.OUTSTREAM_STACK_DIR} OUTSTREAM_PORT_OFFSET=${current.stack.config.stack.portOffset} npm run stack:down)`
          : ''),
    );
    o.stopChildren()
      .catch(() => {})
      .then(() => current?.down())
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    for (const profile of o.profiles) {
      const stack = createPrivateStack({
        shared,
        name: `bench-${profile}`,
        kafkaNodes: benchProfiles[profile],
        keep: o.keep,
        ...(o.offset === undefined ? { step: privateStep } : { offset: o.offset }),
      });
      let stopping: Promise<void> | undefined;
      const down = () => {
        stopping ??= stack.down();
        return stopping;
      };
      current = { stack, down };
      try {
        const n = benchProfiles[profile];
        o.log(
          `\n── profile ${profile}: ${n} Kafka node${n === 1 ? '' : 's'}, private stack on offset ${stack.config.stack.portOffset} (${stack.dir}); load average ${os.loadavg()[0]!.toFixed(1)}`,
        );
        let t = Date.now();
        await stack.up();
        o.log(`stack up in ${seconds(t)} s`);
        t = Date.now();
        await stack.setup();
        o.log(`setup (migrations, topics, schemas, connector) in ${seconds(t)} s`);
        t = Date.now();
        await warmUpStack(stack.config);
        o.log(`warmed up: 2,000 events through Debezium and Kafka in ${seconds(t)} s (not measured)`);
        const quiet = await settle(stack.config);
        o.log(
          `${quiet.settled ? 'settled' : 'still busy'}: the stack used ${quiet.busy.toFixed(2)} cores over the last 5 s, ` +
            `${seconds(quiet.since)} s after its setup${quiet.settled ? '' : ' (measuring anyway)'}\n`,
        );
        done.push({ profile, figures: await pass({ profile, config: stack.config, env: stack.env }) });
      } finally {
        // Nothing of the pass may outlive its stack: the next stack takes the same ports.
        await o.stopChildren();
        const t = Date.now();
        await down();
        current = undefined;
        o.log(
          `private stack of profile ${profile} stopped in ${seconds(t)} s${o.keep ? ` (kept: ${stack.dir})` : ''}`,
        );
      }
    }
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
  if (done.length >= 2) {
    o.log(`\nside by side: the same phases on each profile's stack, one after the other (${timestamp()})`);
    o.log(sideBySide(done));
  }
}

/**
 * Waits until the stack's components together use less than half a core over 5 s, for at most
 * two minutes: a stack just started is still compiling, electing leaders and creating Connect's
 * topics, which would be charged to the first phase measured (three JVMs take longer than one).
 */
async function settle(config: OutstreamConfig) {
  const targets = stackCpuTargets(config);
  const total = () => [...cpuSnapshot(targets).values()].reduce((a, b) => a + b, 0);
  const since = Date.now();
  let busy = Number.POSITIVE_INFINITY;
  while (Date.now() - since < 120_000) {
    const before = total();
    await sleep(5_000);
    busy = (total() - before) / 5;
    if (busy < 0.5) return { settled: true, busy, since };
  }
  return { settled: false, busy, since };
}

/**
 * Stops processes a pass started: SIGTERM (their own graceful stop), SIGKILL after `graceMs`;
 * resolves once every one exited. A process left running would outlive its stack and, the
 * next stack taking the same ports, talk to that one.
 */
export async function stopProcesses(children: Iterable<ChildProcess>, graceMs = 10_000): Promise<void> {
  await Promise.all(
    [...children].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const late = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(late);
    }),
  );
}

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
const timestamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
