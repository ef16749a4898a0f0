import { StackError } from '../core/errors.ts';

/** One connector instance's state, as Connect reports it. */
export interface InstanceState {
  /** RUNNING, PAUSED, STOPPED, FAILED, RESTARTING or UNASSIGNED. */
  state: string;
  /** The Java stack trace of a FAILED instance. */
  trace?: string;
}

/** A connector's and its tasks' states. */
export interface ConnectorStatus {
  connector: InstanceState;
  tasks: (InstanceState & { id: number })[];
}

/** A source connector's committed offsets: Debezium's WAL position and the commit time it reached. */
export interface ConnectorOffsets {
  offsets: { partition: Record<string, unknown>; offset: Record<string, unknown> | null }[];
}

// Commands answer an operator: a Connect worker that hangs must not hang them. (A busy
// worker answered a PUT of the connector's config in 10–20 s on a loaded 2-core machine.)
const requestTimeoutMs = 30_000;

/** A request to Connect's REST API; no answer (down, or slower than the timeout) is a StackError naming it. */
async function call(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(requestTimeoutMs) });
  } catch (e) {
    const what = `${init.method ?? 'GET'} ${url}`;
    const why =
      (e as Error).name === 'TimeoutError'
        ? `no answer within ${requestTimeoutMs / 1000} s`
        : (((e as Error).cause as Error | undefined)?.message ?? (e as Error).message);
    throw new StackError('connect', `Connect did not answer ${what}: ${why}`, { cause: e });
  }
}

function connectorUrl(connectUrl: string, name: string): string {
  return `${connectUrl}/connectors/${encodeURIComponent(name)}`;
}

async function refused(res: Response, what: string): Promise<StackError> {
  return new StackError('connect', `Connect answered ${res.status} to ${what}: ${await res.text()}`);
}

/** The connector's config as Connect stores it; undefined when it is not registered. */
export async function connectorConfig(
  connectUrl: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  const res = await call(`${connectorUrl(connectUrl, name)}/config`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw await refused(res, `GET ${name}/config`);
  return (await res.json()) as Record<string, string>;
}

/** Creates or replaces the connector's config (idempotent; Connect restarts its tasks). */
export async function putConnectorConfig(
  connectUrl: string,
  name: string,
  config: Record<string, string>,
): Promise<void> {
  const res = await call(`${connectorUrl(connectUrl, name)}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
  });
  if (!res.ok) throw await refused(res, `PUT ${name}/config`);
}

/** Reads a connector's status; undefined when it does not exist. */
export async function connectorStatus(
  connectUrl: string,
  name: string,
): Promise<ConnectorStatus | undefined> {
  const res = await call(`${connectorUrl(connectUrl, name)}/status`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw await refused(res, `GET ${name}/status`);
  return (await res.json()) as ConnectorStatus;
}

/**
 * The offsets the connector committed (Kafka ≥ 3.5, KIP-875). Undefined when the connector or
 * the endpoint does not exist (an older Connect).
 */
export async function connectorOffsets(
  connectUrl: string,
  name: string,
): Promise<ConnectorOffsets | undefined> {
  const res = await call(`${connectorUrl(connectUrl, name)}/offsets`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw await refused(res, `GET ${name}/offsets`);
  return (await res.json()) as ConnectorOffsets;
}

/**
 * Restarts the connector and its tasks (KIP-745), or only its FAILED ones. A task restarted
 * this way resumes from its committed offset: nothing is skipped.
 */
export async function restartConnector(
  connectUrl: string,
  name: string,
  { onlyFailed }: { onlyFailed: boolean },
): Promise<void> {
  const res = await call(
    `${connectorUrl(connectUrl, name)}/restart?includeTasks=true&onlyFailed=${onlyFailed}`,
    { method: 'POST' },
  );
  if (!res.ok) throw await refused(res, `POST ${name}/restart`);
}

/**
 * Stops the connector and its tasks (Kafka ≥ 3.5, KIP-875): no task runs until
 * {@link resumeConnector}, and the next tasks are made from the config stored then.
 */
export async function stopConnector(connectUrl: string, name: string): Promise<void> {
  const res = await call(`${connectorUrl(connectUrl, name)}/stop`, { method: 'PUT' });
  if (!res.ok) throw await refused(res, `PUT ${name}/stop`);
}

/** Resumes a stopped or paused connector. */
export async function resumeConnector(connectUrl: string, name: string): Promise<void> {
  const res = await call(`${connectorUrl(connectUrl, name)}/resume`, { method: 'PUT' });
  if (!res.ok) throw await refused(res, `PUT ${name}/resume`);
}

/**
 * The lines of a Java stack trace that say what went wrong: the exception and each
 * `Caused by`, without the frames.
 */
export function traceSummary(trace: string | undefined): string[] {
  if (!trace) return [];
  return trace
    .split('\n')
    .filter((line, i) => i === 0 || line.startsWith('Caused by:'))
    .map((line) => line.trim());
}

/** The innermost cause of a summary from {@link traceSummary}: what actually went wrong. */
export function rootCause(summary: readonly string[]): string {
  return (summary.at(-1) ?? 'no trace').replace(/^Caused by: /, '');
}
