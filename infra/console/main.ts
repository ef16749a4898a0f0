import { pino } from 'pino';
import { parseCli } from '../../core/cli.ts';
import { isOutstreamError } from '../../core/errors.ts';
import { isLoopback, loadConsoleConfig } from './options.ts';
import { startConsole } from './server.ts';

const usage = `usage: npm run console [-- --port N] [--host H] [--members N] [--gateways N]
  the ops console on http://127.0.0.1:18100 (+ OUTSTREAM_PORT_OFFSET) until Ctrl-C: stack and
  capture health, consumer groups and their lag, throughput and latency plots (scraped from
  the groups' /metrics), dead letters with replay and release-key, schema subjects, topic
  drift, the AsyncAPI document. \`npm start\` runs it too.
  --members N   processes per group to scrape, summed in the plots (as \`npm start -- --members N\`
                runs them: member m on the group's health port + 10·(m−1)); default 1
  --gateways N  gateway nodes whose health to show (ports SSE_PORT, +1, …); default 1
  env: CONSOLE_PORT, CONSOLE_HOST (default 127.0.0.1), CONSOLE_REQUIRE_TOKEN=1 (the views need
       an operator token too), CONSOLE_SCRAPE_INTERVAL_MS (default 5000), the gateway's
       SSE_JWT_* (operator tokens' keys) and the stack settings of \`npm run -s stack:env\`.
  actions need an operator token: npm run -s token -- --sub <you> --ops 'dlq:replay,dlq:release-key'
  (see infra/console/README.md)`;

async function main() {
  const { values } = parseCli(
    {
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        members: { type: 'string' },
        gateways: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    usage,
  );
  const env = {
    ...process.env,
    ...(values.port !== undefined ? { CONSOLE_PORT: values.port } : {}),
    ...(values.host !== undefined ? { CONSOLE_HOST: values.host } : {}),
    ...(values.members !== undefined ? { CONSOLE_MEMBERS: values.members } : {}),
    ...(values.gateways !== undefined ? { CONSOLE_GATEWAYS: values.gateways } : {}),
  };
  const cfg = loadConsoleConfig(env);
  const logger = pino({
    level: process.env.OUTSTREAM_LOG_LEVEL ?? 'info',
    base: { service: 'outstream-console' },
  });
  if (cfg.devSecret)
    logger.warn('no SSE_JWT_SECRET or SSE_JWT_PUBLIC_KEYS: operator tokens use the DEVELOPMENT secret');
  if (!isLoopback(cfg.host) && !cfg.requireTokenForReads)
    logger.warn(
      { host: cfg.host },
      'the console listens beyond this machine with open read-only views: set CONSOLE_REQUIRE_TOKEN=1 or put it behind an authenticating proxy',
    );
  const running = await startConsole({ ...cfg, env, logger });
  console.log(`outstream ops console on ${running.url}`);
  const stop = () => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Run by `npm start`'s supervisor (an IPC channel): stop when the supervisor dies.
  if (process.send) process.once('disconnect', stop);
}

main().catch((e: unknown) => {
  console.error(isOutstreamError(e) ? e.message : e);
  process.exit(1);
});
