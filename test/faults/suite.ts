import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../core/config.ts';
import { mintToken } from '../../realtime/server/auth.ts';
import { faults } from './faults.ts';
import { createLedger } from './ledger.ts';
import { startLoad } from './load-control.ts';
import { runPhase, type World } from './phase.ts';
import { startPlatform } from './platform.ts';
import { createPrivateStack } from './private-stack.ts';
import type { PhaseResult } from './report.ts';
import { openFleet } from './sse-fleet.ts';
import { registerStaff } from './staff.ts';
import { createWitness } from './witness.ts';

/** Options of {@link runFaultSuite}. */
export interface SuiteOptions {
  /** Names of `faults` (test/faults/faults.ts), run in this order. */
  faults: string[];
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
  const stack = createPrivateStack({ shared: loadConfig(process.env), keep: o.keep });
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
  try {
    o.log(`private stack: offset ${stack.config.stack.portOffset}, ${stack.dir}`);
    let t = Date.now();
    await stack.up();
    o.log(`stack up in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
    const platform = startPlatform(stack, {
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
      `npm start ready (setup, three groups, gateway) in ${((Date.now() - t) / 1000).toFixed(1)} s; log ${platform.logFile}`,
    );
    const witness = createWitness(stack.config);
    cleanup.unshift(() => witness.close());

    const specs = await Promise.all(
      Array.from({ length: o.clients }, async (_, i) => {
        const channels = [`hotel:${hotels[i % hotels.length]}`];
        return {
          channels,
          token: await mintToken({
            secret,
            subject: `client-${i}`,
            patterns: channels,
            ttlSeconds: 6 * 3600,
          }),
        };
      }),
    );
    const fleet = await openFleet(`http://127.0.0.1:${stack.config.sse.port}`, specs, false);
    cleanup.unshift(() => fleet.close());
    o.log(`${o.clients} SSE clients connected`);

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
