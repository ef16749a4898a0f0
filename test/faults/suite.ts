import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../core/config.ts';
import type { KafkaNodeCount } from '../../core/stack-profile.ts';
import { mintToken } from '../../realtime/server/auth.ts';
import { clusterFaults } from './cluster-faults.ts';
import { faults as singleFaults } from './faults.ts';
import { createLedger } from './ledger.ts';
import { startLoad } from './load-control.ts';
import { runPhase, type World } from './phase.ts';
import { startPlatform } from './platform.ts';
import { createPrivateStack } from './private-stack.ts';
import type { PhaseResult } from './report.ts';
import { openFleet } from './sse-fleet.ts';
import { registerStaff } from './staff.ts';
import { createWitness } from './witness.ts';

/** Every fault by the name `--faults` takes: the single-node suite's and the cluster's. */
export const faults = { ...singleFaults, ...clusterFaults };

/** Options of {@link runFaultSuite}. */
export interface SuiteOptions {
  /** Names of {@link faults} (test/faults/faults.ts, cluster-faults.ts), run in this order. */
  faults: string[];
  /** KRaft nodes of the private stack: 1 (default) or 3 (the cluster profile). */
  kafkaNodes?: KafkaNodeCount;
  /** Processes per consumer group (`npm start --members`, default 1). */
  members?: number;
  /** Gateway nodes (`npm start --gateways`, default 1); the clients are spread over them. */
  gateways?: number;
  /** The private stack's port offset from the caller's stack (default 5000; see privateOffset). */
  step?: number;
  /** Events per second, one per transaction. */
  rate: number;
  /** SSE clients (each on one hotel's channel). */
  clients: number;
  hotels: number;
  roomsPerHotel: number;
  /** Events committed before each fault, and again after its recovery. */
  eventsAround: number;
  /** How long Connect, the broker and Redis stay down (ms). */
  holdMs: number;
  recoveryTimeoutMs: number;
  drainTimeoutMs: number;
  /** Keep the private stack's directory (its logs) afterwards. */
  keep: boolean;
  log: (line: string) => void;
  /** Told each phase's result as soon as it is known. */
  onPhase?: (r: PhaseResult) => void;
  /**
   * Given, at once, a function that stops everything the suite started: for a caller that may
   * give up before the suite returns (a test's timeout), which would otherwise leave it running.
   */
  onStop?: (stop: () => Promise<void>) => void;
}

const secret = 'faults-suite-secret-not-for-production';

/**
 * The fault suite: a whole private stack, the platform run as `npm start` runs it, SSE
 * clients connected, steady emit() load; then each fault in turn, each followed by independent
 * reads of every sink. Stops everything it started, whatever happens.
 */
export async function runFaultSuite(o: SuiteOptions): Promise<PhaseResult[]> {
  const unknown = o.faults.filter((f) => !(f in faults));
  if (unknown.length > 0)
    throw new Error(`unknown fault ${unknown.join(', ')} (known: ${Object.keys(faults).join(', ')})`);
  const members = o.members ?? 1;
  const gateways = o.gateways ?? 1;
  const stack = createPrivateStack({
    shared: loadConfig(process.env),
    keep: o.keep,
    ...(o.step === undefined ? {} : { step: o.step }),
    ...(o.kafkaNodes === undefined ? {} : { kafkaNodes: o.kafkaNodes }),
  });
  const run = `f${randomUUID().slice(0, 6)}`;
  const actor = `faults:${run}`;
  const hotels = Array.from({ length: o.hotels }, (_, i) => `${run}-h${i}`);
  const cleanup: (() => Promise<unknown>)[] = [() => stack.down()];
  const results: PhaseResult[] = [];
  // Ctrl-C must not leave a private stack and its processes behind.
  const interrupted = (signal: NodeJS.Signals) => {
    o.log(`${signal}: stopping what the suite started`);
    (async () => {
      for (const step of cleanup) await step().catch(() => {});
    })().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  o.onStop?.(async () => {
    for (const step of cleanup) await step().catch(() => {});
  });
  try {
    o.log(`private stack: offset ${stack.config.stack.portOffset}, ${stack.dir}`);
    let t = Date.now();
    await stack.up();
    o.log(`stack up in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
    const platform = startPlatform(stack, {
      members,
      gateways,
      env: {
        SSE_JWT_SECRET: secret,
        SSE_HEARTBEAT_MS: '2000',
        SSE_RETRY_MS: '500',
        SSE_DRAIN_MS: '500',
        SSE_MAX_CONNECTIONS: String(Math.max(10_000, o.clients * 2)),
        // Every client of the suite connects from 127.0.0.1.
        SSE_MAX_CONNECTIONS_PER_IP: String(Math.max(100, o.clients * 2)),
      },
    });
    cleanup.unshift(() => platform.stop());
    await platform.ready(240_000);
    o.log(
      `npm start --members ${members} --gateways ${gateways} ready (setup, three groups, gateway) on ${stack.config.stack.kafkaNodes} Kafka node(s) in ${((Date.now() - t) / 1000).toFixed(1)} s; log ${platform.logFile}`,
    );
    const witness = createWitness(stack.config);
    cleanup.unshift(() => witness.close());

    const specs = await Promise.all(
      Array.from({ length: o.clients }, async (_, i) => {
        const channels = [`hotel:${hotels[i % hotels.length]}`];
        return {
          channels,
          // Half of the clients on each of two gateway nodes.
          node: i % gateways,
          token: await mintToken({
            secret,
            subject: `client-${i}`,
            patterns: channels,
            ttlSeconds: 6 * 3600,
          }),
        };
      }),
    );
    const fleet = await openFleet(platform.gatewayUrls, specs, false);
    cleanup.unshift(() => fleet.close());
    o.log(`${o.clients} SSE clients connected (per gateway node: ${(await fleet.openByNode()).join(', ')})`);

    // Two staff per hotel, known to the notifications group before any booking names them.
    const staffOf = await registerStaff(stack.config, witness.pool, hotels, actor);

    const load = await startLoad({ rate: o.rate, hotels, roomsPerHotel: o.roomsPerHotel, actor }, stack.env);
    cleanup.unshift(() => load.stop());
    const w: World = {
      stack,
      platform,
      witness,
      load,
      fleet,
      kafka: witness.kafka,
      killedNodes: new Map(),
      ledger: createLedger(),
      actor,
      hotels,
      staffOf,
      holdMs: o.holdMs,
      eventsAround: o.eventsAround,
      recoveryTimeoutMs: o.recoveryTimeoutMs,
      drainTimeoutMs: o.drainTimeoutMs,
      gaps: new Map(),
    };
    for (const [i, name] of o.faults.entries()) {
      o.log(`phase ${i + 1}/${o.faults.length}: ${faults[name]!.name}`);
      const result = await runPhase(w, faults[name]!, i + 1);
      results.push(result);
      o.onPhase?.(result);
    }
    return results;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    for (const step of cleanup) await step().catch((e: unknown) => o.log(`cleanup: ${(e as Error).message}`));
  }
}
