import { parseArgs } from 'node:util';
import { configToEnv, loadConfig } from '../../core/config.ts';
import { ErrorCode, InvalidArgumentError, isOutstreamError } from '../../core/errors.ts';
import { captureFlagOptions, captureFlagsUsage, parseCaptureThresholds } from '../outbox/capture-flags.ts';
import { captureStatus, stackDown, stackStatus, stackUp } from './stack.ts';

const usage = `usage: npm run stack:<command>
  stack:up      start every local component (idempotent) and wait until each is healthy
  stack:down    stop what the stack started (external services are left alone)
  stack:status [-- --max-slot-lag-mib N] [--max-slot-age-s N]
                each component, its URL, pid and health, then capture (outbox connector and
                replication slot): exit 1 if any is unhealthy, naming what to do
                (${captureFlagsUsage})
  stack:env     the connection settings as KEY=value lines: set -a; eval "$(npm run -s stack:env)"`;

async function main(command: string | undefined): Promise<number> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(usage);
    return 0;
  }
  const config = loadConfig(process.env);
  const log = (line: string) => console.log(line);
  switch (command) {
    case 'up': {
      const started = Date.now();
      await stackUp(config, log);
      log(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    case 'down':
      await stackDown(config, log);
      return 0;
    case 'status': {
      const thresholds = parseCaptureThresholds(parseFlags(process.argv.slice(3)));
      const rows = await stackStatus(config);
      for (const r of rows) {
        const pid = r.managed === 'external' ? 'external' : r.pid === undefined ? 'stopped' : `pid ${r.pid}`;
        log(
          `${r.component.padEnd(9)} ${(r.healthy ? 'healthy' : 'DOWN').padEnd(8)} ${pid.padEnd(10)} ${r.url}`,
        );
      }
      // Every process may answer while nothing is published: capture is judged on its own.
      const capture = await captureStatus(config, rows, thresholds);
      log(`${'capture'.padEnd(9)} ${capture.state.padEnd(8)} ${capture.summary}`);
      for (const line of capture.details) log(`  ${line}`);
      return rows.every((r) => r.healthy) && capture.state === 'healthy' ? 0 : 1;
    }
    case 'env':
      log(configToEnv(config));
      return 0;
    default:
      console.error(usage);
      return 2;
  }
}

function parseFlags(args: string[]) {
  try {
    return parseArgs({ args, options: captureFlagOptions }).values;
  } catch (e) {
    throw new InvalidArgumentError([e instanceof Error ? e.message : String(e)]);
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(isOutstreamError(e) ? `stack: ${e.message}` : e);
    process.exit(isOutstreamError(e, ErrorCode.invalidArgument) ? 2 : 1);
  },
);
