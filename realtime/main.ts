import { pino } from 'pino';
import { isOutstreamError } from '../core/errors.ts';
import { loadGatewayConfig } from './server/config.ts';
import { startGateway } from './server/gateway.ts';

// `npm run sse`: one gateway node on SSE_PORT. SIGTERM/SIGINT drain it (clients resume on
// another node, or on this one once restarted).
const usage = `usage: npm run sse
  one realtime (SSE) gateway node on SSE_PORT until SIGTERM/SIGINT (which drain it)
  env: SSE_PORT, SSE_JWT_SECRET or SSE_JWT_PUBLIC_KEYS (without either: a development secret),
       and the stack settings of \`npm run -s stack:env\` (see realtime/README.md for every variable)`;

async function main() {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(usage);
    return;
  }
  const config = loadGatewayConfig(process.env);
  const logger = pino({ level: config.logLevel, base: { service: 'outstream-sse' } });
  if (config.devSecret) {
    logger.warn(
      'no SSE_JWT_SECRET or SSE_JWT_PUBLIC_KEYS: using the DEVELOPMENT secret (never in production)',
    );
  }
  const gateway = await startGateway({ ...config.options, logger });
  console.log(`outstream realtime gateway on http://${config.options.host}:${gateway.port} (demo: /demo/)`);
  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping');
    gateway.close().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // Run by `npm start`'s supervisor (an IPC channel): stop when the supervisor dies.
  if (process.send) process.once('disconnect', () => stop('supervisor gone'));
}

main().catch((e: unknown) => {
  console.error(isOutstreamError(e) ? e.message : e);
  process.exit(1);
});
