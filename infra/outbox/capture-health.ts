import {
  type ConnectorOffsets,
  connectorConfig,
  connectorOffsets,
  connectorStatus,
  traceSummary,
} from '../../connect/connect-rest.ts';
import { defaultSlotName } from '../../connect/outbox-connector.ts';
import { withClient } from '../../core/db.ts';
import {
  type CaptureFacts,
  type CaptureProblem,
  type CaptureThresholds,
  captureProblems,
  defaultCaptureThresholds,
  type Unreachable,
} from './capture-problems.ts';
import { slotLag } from './slot.ts';

/** Where capture runs: the Connect cluster, the connector's name and the outbox database. */
export interface CaptureTarget {
  connectUrl: string;
  connectorName: string;
  databaseUrl: string;
}

/** Capture's state and what is wrong with it. */
export interface CaptureHealth {
  facts: CaptureFacts;
  problems: CaptureProblem[];
}

/**
 * Checks the capture path (outbox → slot → Connect) the way an operator would: the
 * connector's and tasks' states from Connect, the replication slot from PostgreSQL, and the
 * age of what Connect last committed. Never throws for a component that is down: that is a
 * problem in the answer.
 *
 * @example
 * const { problems } = await captureHealth({ connectUrl, connectorName, databaseUrl });
 */
export async function captureHealth(
  target: CaptureTarget,
  thresholds: CaptureThresholds = defaultCaptureThresholds,
): Promise<CaptureHealth> {
  const facts = await readCaptureFacts(target);
  return { facts, problems: captureProblems(facts, thresholds) };
}

async function readCaptureFacts({
  connectUrl,
  connectorName,
  databaseUrl,
}: CaptureTarget): Promise<CaptureFacts> {
  const [status, config, offsets] = await Promise.all([
    connectorStatus(connectUrl, connectorName).then((s) => s ?? ('not registered' as const), unreachable),
    connectorConfig(connectUrl, connectorName).catch(() => undefined),
    connectorOffsets(connectUrl, connectorName).catch(() => undefined),
  ]);
  const slotName = config?.['slot.name'] ?? defaultSlotName;
  const db = await withClient(databaseUrl, async (client) => {
    const [slot] = await slotLag(client, slotName);
    const { rows } = await client.query<{ now: number }>(
      'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now',
    );
    return { slot: slot ?? ('missing' as const), now: rows[0]?.now };
  }).catch((e: unknown) => ({ slot: unreachable(e), now: undefined }));
  return {
    connectUrl,
    connector: connectorName,
    status,
    slotName,
    slot: db.slot,
    now: db.now,
    committedChangeAt: committedChangeAt(offsets),
  };
}

/** The network error code (ECONNREFUSED…) somewhere in the cause chain, else the message. */
function unreachable(e: unknown): Unreachable {
  for (let c: unknown = e; c instanceof Object; c = (c as { cause?: unknown }).cause) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return { unreachable: code };
  }
  return { unreachable: e instanceof Error ? e.message : String(e) };
}

/** Debezium's PostgreSQL offsets carry `ts_usec`: the commit time of the last change it processed. */
function committedChangeAt(offsets: ConnectorOffsets | undefined): number | undefined {
  for (const o of offsets?.offsets ?? []) {
    const ts = o.offset?.ts_usec;
    if (typeof ts === 'number') return ts / 1000;
  }
  return undefined;
}

/** The state as lines for an operator (`npm run connector -- status`). */
export function describeCapture({ facts, problems }: CaptureHealth): string[] {
  const lines: string[] = [];
  const { status, slot } = facts;
  if (typeof status === 'object' && 'connector' in status) {
    lines.push(`connector ${facts.connector}: ${status.connector.state}`);
    for (const t of status.tasks) {
      lines.push(`  task ${t.id}: ${t.state}`);
      lines.push(...traceSummary(t.trace).map((l) => `    ${l}`));
    }
  }
  if (typeof slot === 'object' && 'active' in slot) {
    const age =
      facts.committedChangeAt !== undefined && facts.now !== undefined
        ? `; newest change Connect committed: ${((facts.now - facts.committedChangeAt) / 1000).toFixed(1)} s old`
        : '';
    lines.push(
      `slot ${facts.slotName}: ${slot.active ? 'active' : 'INACTIVE'}, ` +
        `${(slot.retainedBytes / 1024 / 1024).toFixed(1)} MiB of WAL not yet confirmed (${slot.walStatus})${age}`,
    );
  }
  lines.push(...describeProblems(problems));
  return lines;
}

/** `healthy`, or each problem and what to do about it. */
export function describeProblems(problems: readonly CaptureProblem[]): string[] {
  if (problems.length === 0) return ['capture: healthy'];
  return problems.flatMap((p) => [`UNHEALTHY: ${p.what}`, `  what to do: ${p.todo}`]);
}
