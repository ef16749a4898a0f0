import { StackError } from '../core/errors.ts';
import { type WaitOptions, waitFor } from '../core/wait.ts';
import {
  type ConnectorStatus,
  connectorConfig,
  connectorOffsets,
  connectorStatus,
  putConnectorConfig,
  restartConnector,
  resumeConnector,
  stopConnector,
  traceSummary,
} from './connect-rest.ts';

/** A FAILED connector or task: what `connector plan` shows and `connector apply` restarts. */
export interface FailedInstance {
  /** `connector` or `task <id>`. */
  instance: string;
  /** The exception and its causes (see {@link traceSummary}). */
  cause: string[];
}

/** What {@link applyConnector} found and did. */
export interface ConnectorChange {
  action: 'created' | 'updated' | 'unchanged';
  /** Keys whose value differs from the running config. */
  changedKeys: string[];
  /**
   * Instances that were FAILED. A dry run only reports them; otherwise they were restarted and
   * are running again (a config that did not change is no reason to leave a task failed).
   */
  failed: FailedInstance[];
}

/** Options of {@link applyConnector}. */
export interface ApplyOptions {
  /** Report only (`connector plan`). */
  dryRun?: boolean;
  /** How long to wait for the connector and its tasks to run (and, after a restart, to move on). Default 120 s. */
  timeoutMs?: number;
  /**
   * After restarting a FAILED task of a Connect without the offsets endpoint (Kafka < 3.5), or
   * one that had committed nothing: how long it must keep running to count as recovered.
   * Otherwise it must commit new offsets (the heartbeat makes a change every second; a worker's
   * `offset.flush.interval.ms` sets how soon they are committed: 1 s on the stack, 60 s by
   * default).
   */
  settleMs?: number;
  /**
   * Restart FAILED tasks with `errors.tolerance=all` until they have moved on, then restore the
   * config: a record Kafka refuses (KIP-779) is dropped, and Connect's log names it (its
   * LogReporter line: the event id, aggregate and sequence, and the error). The event is lost;
   * for a record nothing will ever accept.
   */
  skipFailedRecords?: boolean;
}

/**
 * Creates or updates a connector through the Connect REST API (PUT is idempotent), restarts
 * FAILED instances, and waits until the connector and its tasks run. A restarted task must
 * also get past what failed it: it commits new offsets; failing again throws with the cause.
 *
 * @example
 * await applyConnector(config.connect.url, 'outstream-outbox', outboxConnectorConfig({ databaseUrl }));
 */
export async function applyConnector(
  connectUrl: string,
  name: string,
  desired: Record<string, string>,
  { dryRun = false, timeoutMs = 120_000, settleMs = 15_000, skipFailedRecords = false }: ApplyOptions = {},
): Promise<ConnectorChange> {
  const existing = await connectorConfig(connectUrl, name);
  const wanted: Record<string, string> = { ...desired, name };
  const keys = new Set([...Object.keys(wanted), ...Object.keys(existing ?? {})]);
  const changedKeys = [...keys].filter((k) => existing?.[k] !== wanted[k]).sort();
  const action = existing === undefined ? 'created' : changedKeys.length > 0 ? 'updated' : 'unchanged';
  const status = existing === undefined ? undefined : await connectorStatus(connectUrl, name);
  const failed = status ? failedInstances(status) : [];
  const change = { action, changedKeys, failed } as const;
  if (dryRun || (action === 'unchanged' && failed.length === 0)) return change;

  const offsetsBefore = failed.length > 0 ? await offsetsText(connectUrl, name) : undefined;
  if (failed.length > 0 && skipFailedRecords) {
    await restartWith(connectUrl, name, { ...wanted, ...skipErrors }, timeoutMs);
    await waitForRecovery(connectUrl, name, offsetsBefore, { timeoutMs, settleMs, fresh: true });
    // Past the record: back to failing on errors, so that nothing else is dropped unseen.
    await restartWith(connectUrl, name, wanted, timeoutMs);
    await waitForConnectorRunning(connectUrl, name, timeoutMs);
    return change;
  }
  if (action !== 'unchanged') await putConnectorConfig(connectUrl, name, wanted);
  if (failed.length === 0) {
    await waitForConnectorRunning(connectUrl, name, timeoutMs);
    return change;
  }
  await restartConnector(connectUrl, name, { onlyFailed: true });
  await waitForRecovery(connectUrl, name, offsetsBefore, { timeoutMs, settleMs, fresh: false });
  return change;
}

/**
 * Restarts the connector and every task, running or not (`npm run connector -- restart`): for
 * a task Connect reports RUNNING that publishes nothing. Each resumes from its committed offset;
 * waits until they run and have moved on, as {@link applyConnector} does after a restart.
 */
export async function restartConnectorTasks(
  connectUrl: string,
  name: string,
  { timeoutMs = 120_000, settleMs = 15_000 }: Pick<ApplyOptions, 'timeoutMs' | 'settleMs'> = {},
): Promise<void> {
  const offsetsBefore = await offsetsText(connectUrl, name);
  await restartConnector(connectUrl, name, { onlyFailed: false });
  await waitForRecovery(connectUrl, name, offsetsBefore, { timeoutMs, settleMs, fresh: false });
}

/**
 * Stops the connector, stores `config`, resumes it: its next tasks run with that config, and
 * no task of the previous one runs any more (a config update alone restarts tasks later, and
 * one with the old settings may go on meanwhile).
 */
async function restartWith(
  connectUrl: string,
  name: string,
  config: Record<string, string>,
  timeoutMs: number,
) {
  await stopConnector(connectUrl, name);
  await waitForConnect(
    async () => {
      const s = await connectorStatus(connectUrl, name);
      return s?.connector.state === 'STOPPED' && s.tasks.length === 0;
    },
    { timeoutMs, intervalMs: 250, what: `connector ${name} to stop` },
  );
  await putConnectorConfig(connectUrl, name, config);
  await resumeConnector(connectUrl, name);
}

/** Connect's error handling that drops what fails and logs it, record included. */
const skipErrors = {
  'errors.tolerance': 'all',
  'errors.log.enable': 'true',
  'errors.log.include.messages': 'true',
} as const;

/** The FAILED connector and tasks of a status, with their causes. */
export function failedInstances(status: ConnectorStatus): FailedInstance[] {
  const out: FailedInstance[] = [];
  if (status.connector.state === 'FAILED')
    out.push({ instance: 'connector', cause: traceSummary(status.connector.trace) });
  for (const t of status.tasks) {
    if (t.state === 'FAILED') out.push({ instance: `task ${t.id}`, cause: traceSummary(t.trace) });
  }
  return out;
}

/** Waits until the connector and all its tasks are RUNNING; a FAILED task fails at once with its cause. */
export async function waitForConnectorRunning(connectUrl: string, name: string, timeoutMs = 60_000) {
  let failed: string | undefined;
  await waitForConnect(
    async () => {
      const s = await connectorStatus(connectUrl, name);
      const f = s ? failedInstances(s)[0] : undefined;
      if (f) failed = `${f.instance} FAILED: ${f.cause.join(' ← ')}`;
      return allRunning(s);
    },
    { timeoutMs, intervalMs: 250, what: `connector ${name} to run`, abort: () => failed },
  );
}

/**
 * After a restart: waits until every instance runs and has moved on (new committed offsets;
 * `settleMs` of running when offsets cannot be compared). After restartFailed, Connect may still report the old FAILED
 * state for a moment, so only a failure after the instance was seen alive again counts; after
 * a stop and resume (`fresh`), every FAILED state is new.
 */
async function waitForRecovery(
  connectUrl: string,
  name: string,
  offsetsBefore: string | undefined,
  { timeoutMs, settleMs, fresh }: { timeoutMs: number; settleMs: number; fresh: boolean },
) {
  const alive = new Set<string>();
  let runningSince: number | undefined;
  let failedAgain: string | undefined;
  await waitForConnect(
    async () => {
      const s = await connectorStatus(connectUrl, name);
      if (!s) throw new Error(`connector ${name} disappeared`);
      const instances = [
        { key: 'connector', ...s.connector },
        ...s.tasks.map((t) => ({ key: `task ${t.id}`, ...t })),
      ];
      for (const i of instances) {
        if (i.state !== 'FAILED') alive.add(i.key);
        else if (fresh || alive.has(i.key))
          failedAgain = `${i.key} FAILED again: ${traceSummary(i.trace).join(' ← ')}`;
      }
      if (!allRunning(s)) {
        runningSince = undefined;
        return false;
      }
      // Connect may report a task RUNNING that has already died (an exactly-once task does
      // for up to a minute): new committed offsets are the proof it moved on.
      if (offsetsBefore !== undefined) return (await offsetsText(connectUrl, name)) !== offsetsBefore;
      runningSince ??= Date.now();
      return Date.now() - runningSince >= settleMs;
    },
    { timeoutMs, intervalMs: 250, what: `connector ${name} to recover`, abort: () => failedAgain },
  );
}

/** {@link waitFor}, failing with a StackError that names Connect (printed without a stack trace). */
async function waitForConnect(check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  try {
    await waitFor(check, options);
  } catch (e) {
    throw new StackError('connect', (e as Error).message, { cause: e });
  }
}

function allRunning(s: ConnectorStatus | undefined): boolean {
  return (
    s?.connector.state === 'RUNNING' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING')
  );
}

async function offsetsText(connectUrl: string, name: string): Promise<string | undefined> {
  // An older Connect has no offsets endpoint: recovery then rests on settleMs alone.
  return connectorOffsets(connectUrl, name).then(
    (o) => (o ? JSON.stringify(o.offsets) : undefined),
    () => undefined,
  );
}
