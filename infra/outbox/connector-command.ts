import { type ApplyOptions, restartConnectorTasks } from '../../connect/apply-connector.ts';
import { rootCause } from '../../connect/connect-rest.ts';
import type { OutstreamConfig } from '../../core/config.ts';
import { runConnectorApply } from '../setup.ts';
import { type CaptureFlags, parseCaptureThresholds } from './capture-flags.ts';
import { captureHealth, describeCapture } from './capture-health.ts';

/**
 * `npm run connector -- plan | apply | status | restart`.
 *
 * - `plan`: the config drift and any FAILED instance; exit 3 when `apply` would change
 *   something (a FAILED task included), 0 otherwise.
 * - `apply`: creates or updates the config, restarts FAILED instances and waits until they
 *   run and move on; exit 1 (with the cause) when one fails again. `--skip-failed-record`
 *   drops what Kafka refuses while restarting (the event is lost; Connect's log names it).
 * - `status`: connector, tasks and replication slot, each problem with what to do; exit 1
 *   when capture is unhealthy.
 * - `restart`: restarts the connector and its tasks, running or not (a task that runs but
 *   publishes nothing), and waits until they move on; nothing is skipped.
 */
export async function connectorCommand(
  command: 'plan' | 'apply' | 'status' | 'restart',
  config: OutstreamConfig,
  flags: CaptureFlags & { 'skip-failed-record'?: boolean },
  log: (line: string) => void,
): Promise<number> {
  const name = config.connect.connectorName;
  if (command === 'status') {
    const health = await captureHealth(
      { connectUrl: config.connect.url, connectorName: name, databaseUrl: config.database.url },
      parseCaptureThresholds(flags),
    );
    for (const line of describeCapture(health)) log(line);
    return health.problems.length > 0 ? 1 : 0;
  }
  if (command === 'restart') {
    await restartConnectorTasks(config.connect.url, name);
    log(`${name}: restarted; its task runs and has moved on`);
    return 0;
  }
  const dryRun = command === 'plan';
  const options: ApplyOptions = { dryRun, skipFailedRecords: flags['skip-failed-record'] === true };
  const c = await runConnectorApply(config, options);
  const keys = c.changedKeys.length > 0 && c.action === 'updated' ? ` — ${c.changedKeys.join(', ')}` : '';
  log(`${name}: config ${dryRun && c.action !== 'unchanged' ? `would be ${c.action}` : c.action}${keys}`);
  for (const f of c.failed) {
    log(`  ${f.instance} ${dryRun ? 'is' : 'was'} FAILED: ${rootCause(f.cause)}`);
    log(
      dryRun
        ? '    apply restarts it: it resumes where it stopped, nothing is skipped'
        : options.skipFailedRecords
          ? "    restarted, dropping what Kafka refused: Connect's log names each dropped record (LogReporter)"
          : '    restarted: it runs and has moved past where it failed',
    );
  }
  if (!dryRun) return 0;
  return c.action !== 'unchanged' || c.failed.length > 0 ? 3 : 0;
}
