import { waitFor } from '../core/wait.ts';

/** What {@link applyConnector} did. */
export interface ConnectorChange {
  action: 'created' | 'updated' | 'unchanged';
  /** Keys whose value differs from the running config (values of password keys hidden). */
  changedKeys: string[];
}

/**
 * Creates or updates a connector through the Connect REST API (PUT is idempotent) and waits
 * until the connector and its task run.
 *
 * @example
 * await applyConnector(config.connect.url, 'outstream-outbox', outboxConnectorConfig({ databaseUrl }));
 */
export async function applyConnector(
  connectUrl: string,
  name: string,
  desired: Record<string, string>,
  { dryRun = false, timeoutMs = 60_000 } = {},
): Promise<ConnectorChange> {
  const base = `${connectUrl}/connectors/${encodeURIComponent(name)}`;
  const current = await fetch(`${base}/config`);
  let existing: Record<string, string> | undefined;
  if (current.ok) existing = (await current.json()) as Record<string, string>;
  else if (current.status !== 404)
    throw new Error(`Connect answered ${current.status}: ${await current.text()}`);
  const wanted = { ...desired, name };
  const keys = new Set([...Object.keys(wanted), ...Object.keys(existing ?? {})]);
  const changedKeys = [...keys].filter((k) => existing?.[k] !== wanted[k as keyof typeof wanted]).sort();
  const action = existing === undefined ? 'created' : changedKeys.length > 0 ? 'updated' : 'unchanged';
  if (dryRun || action === 'unchanged') return { action, changedKeys };
  const res = await fetch(`${base}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(wanted),
  });
  if (!res.ok) throw new Error(`Connect refused the ${name} config (${res.status}): ${await res.text()}`);
  await waitForConnectorRunning(connectUrl, name, timeoutMs);
  return { action, changedKeys };
}

/** Connector and task states as Connect reports them. */
export interface ConnectorStatus {
  connector: { state: string };
  tasks: { id: number; state: string; trace?: string }[];
}

/** Reads a connector's status; undefined when it does not exist. */
export async function connectorStatus(
  connectUrl: string,
  name: string,
): Promise<ConnectorStatus | undefined> {
  const res = await fetch(`${connectUrl}/connectors/${encodeURIComponent(name)}/status`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`Connect answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as ConnectorStatus;
}

/** Waits until the connector and all its tasks are RUNNING; a FAILED task fails at once with its trace. */
export async function waitForConnectorRunning(connectUrl: string, name: string, timeoutMs = 60_000) {
  let failed: string | undefined;
  await waitFor(
    async () => {
      const s = await connectorStatus(connectUrl, name);
      const task = s?.tasks.find((t) => t.state === 'FAILED');
      if (task) failed = `task ${task.id} FAILED: ${task.trace?.split('\n').slice(0, 5).join('\n')}`;
      return (
        s?.connector.state === 'RUNNING' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING')
      );
    },
    { timeoutMs, intervalMs: 250, what: `connector ${name} to run`, abort: () => failed },
  );
}
