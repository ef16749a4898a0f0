import path from 'node:path';
import { parseArgs } from 'node:util';
import { groups } from '../consumers/runtime/groups.ts';
import { defaultHealthPort } from '../consumers/runtime/run-group.ts';
import { loadConfig } from '../core/config.ts';
import { isOutstreamError } from '../core/errors.ts';
import { setupPlatform } from './setup.ts';
import { stackUp } from './stack/stack.ts';
import { type ProcessSpec, supervise } from './start/supervisor.ts';

const usage = `usage: npm start [-- --only <group>[,<group>…]] [--no-groups]
  Brings the local stack up (reusing what runs), applies migrations, topics, schemas and the
  connector, then runs every consumer group, the realtime gateway and the scheduled-events
  dispatcher with prefixed logs until Ctrl-C. The stack keeps running afterwards: npm run stack:down stops it.
  groups: ${Object.keys(groups).join(', ')}`;

const root = path.resolve(import.meta.dirname, '..');

// The realtime (SSE) gateway: realtime/main.ts (`npm run sse`, around `startGateway()`).
const gatewayEntry = path.join(root, 'realtime', 'main.ts');
const dispatcherEntry = path.join(root, 'producers', 'dispatcher-main.ts');

async function main() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      'no-groups': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((g) => !(g in groups)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown group ${unknown.join(', ')}\n${usage}`);

  const config = loadConfig(process.env);
  const log = (line: string) => console.log(line);
  const started = Date.now();
  await stackUp(config, (l) => log(`[stack] ${l}`));
  await setupPlatform(config, (l) => log(`[setup] ${l}`));
  log(
    `platform ready in ${((Date.now() - started) / 1000).toFixed(1)} s — connection settings: npm run -s stack:env`,
  );
  if (values['no-groups']) return;

  const specs: ProcessSpec[] = Object.keys(groups)
    .filter((g) => only === undefined || only.includes(g))
    .map((g) => ({ name: g, args: [path.join(root, 'consumers', 'runtime', 'main.ts'), g] }));
  if (only === undefined) specs.push({ name: 'realtime', args: [gatewayEntry] });
  // The scheduled-events dispatcher (producers/dispatcher-main.ts, `npm run dispatcher`).
  if (only === undefined) specs.push({ name: 'dispatcher', args: [dispatcherEntry] });
  const supervisor = supervise(specs);
  log(
    [
      '',
      `running ${specs.map((s) => s.name).join(', ')} — Ctrl-C stops them (the stack keeps running)`,
      `  health/metrics: ${Object.values(groups)
        .map((g) => `${g.name} http://127.0.0.1:${defaultHealthPort(g, config)}/health`)
        .join(', ')}`,
      `  analytics API:  http://127.0.0.1:${config.stack.ports.analyticsHealth}/analytics/report?hotel=1`,
      ...(specs.some((s) => s.name === 'dispatcher')
        ? [
            `  dispatcher:     http://127.0.0.1:${config.stack.ports.dispatcherHealth}/health (scheduled events)`,
          ]
        : []),
      ...(specs.some((s) => s.name === 'realtime')
        ? [`  realtime (SSE): http://127.0.0.1:${config.sse.port}/demo/`]
        : []),
      `  mail received:  ${config.smtp.sinkUrl}/ (files under ${path.join(config.stack.dir, 'smtp', 'mail')})`,
      '  traffic:        npm run demo (in another terminal)',
      '',
    ].join('\n'),
  );
  let firstSignalAt = 0;
  const onSignal = () => {
    // npm forwards the terminal's Ctrl-C, which the terminal also sends us: one press, two
    // signals. Only a press well after the first one means "exit now".
    if (firstSignalAt > 0) {
      if (Date.now() - firstSignalAt < 1_500) return;
      log('[start] second signal: exiting now');
      process.exit(1);
    }
    firstSignalAt = Date.now();
    log('[start] stopping (Ctrl-C again to exit at once)…');
    supervisor.stop().then(
      () => {
        log('[start] all processes stopped');
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((e: unknown) => {
  console.error(isOutstreamError(e) ? e.message : e instanceof Error ? e.message : e);
  process.exit(1);
});
