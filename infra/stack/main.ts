import { configToEnv, loadConfig } from '../../core/config.ts';
import { isOutstreamError } from '../../core/errors.ts';
import { stackDown, stackStatus, stackUp } from './stack.ts';

const usage = `usage: npm run stack:<command>
  stack:up      start every local component (idempotent) and wait until each is healthy
  stack:down    stop what the stack started (external services are left alone)
  stack:status  each component, its URL, pid and health (exit 1 if any is unhealthy)
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
      const rows = await stackStatus(config);
      for (const r of rows) {
        const pid = r.managed === 'external' ? 'external' : r.pid === undefined ? 'stopped' : `pid ${r.pid}`;
        log(
          `${r.component.padEnd(9)} ${(r.healthy ? 'healthy' : 'DOWN').padEnd(8)} ${pid.padEnd(10)} ${r.url}`,
        );
      }
      return rows.every((r) => r.healthy) ? 0 : 1;
    }
    case 'env':
      log(configToEnv(config));
      return 0;
    default:
      console.error(usage);
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(isOutstreamError(e) ? `stack: ${e.message}` : e);
    process.exit(1);
  },
);
