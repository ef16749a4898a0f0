import path from 'node:path';
import { parseArgs } from 'node:util';
import { groups } from '../consumers/runtime/groups.ts';
import { defaultHealthPort } from '../consumers/runtime/run-group.ts';
import { loadConfig } from '../core/config.ts';
import { InvalidArgumentError, isOutstreamError } from '../core/errors.ts';
import { setupPlatform } from './setup.ts';
import { stackUp } from './stack/stack.ts';
import { maxScale, memberHealthPort, memberName, type ProcessSpec, supervise } from './start/supervisor.ts';

const usage = `usage: npm start [-- --only <group>[,<group>…]] [--no-groups] [--members N] [--gateways N]
  Brings the local stack up (reusing what runs), applies migrations, topics, schemas and the
  connector, then runs every consumer group, the realtime gateway, the scheduled-events
  dispatcher and the ops console with prefixed logs until Ctrl-C. The stack keeps running
  afterwards: npm run stack:down stops it.
  --members N   processes per consumer group (1…${maxScale}, default 1): member m's health port is
                the group's + 10·(m−1) (notifications 18101, 18111, …)
  --gateways N  realtime gateway nodes (1…${maxScale}, default 1), each addressed on its own port:
                18090, 18091, … (no shared entry point; a client may use any node)
  groups: ${Object.keys(groups).join(', ')}`;

/** Parses a process count flag: an integer in 1…maxScale. */
function scale(value: string | undefined, flag: string): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > maxScale) {
    throw new InvalidArgumentError([
      `--${flag} must be an integer from 1 to ${maxScale}, not ${JSON.stringify(value)}`,
    ]);
  }
  return n;
}

const root = path.resolve(import.meta.dirname, '..');

// The realtime (SSE) gateway: realtime/main.ts (`npm run sse`, around `startGateway()`).
const gatewayEntry = path.join(root, 'realtime', 'main.ts');
// The ops console: infra/console/main.ts (`npm run console`).
const consoleEntry = path.join(root, 'infra', 'console', 'main.ts');
// The scheduled-events dispatcher: producers/dispatcher-main.ts (`npm run dispatcher`).
const dispatcherEntry = path.join(root, 'producers', 'dispatcher-main.ts');

async function main() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      'no-groups': { type: 'boolean', default: false },
      members: { type: 'string' },
      gateways: { type: 'string' },
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
  const members = scale(values.members, 'members');
  const gateways = scale(values.gateways, 'gateways');

  const config = loadConfig(process.env);
  const log = (line: string) => console.log(line);
  const started = Date.now();
  await stackUp(config, (l) => log(`[stack] ${l}`));
  await setupPlatform(config, (l) => log(`[setup] ${l}`));
  log(
    `platform ready in ${((Date.now() - started) / 1000).toFixed(1)} s — connection settings: npm run -s stack:env`,
  );
  if (values['no-groups']) return;

  // Member m of a group and gateway node g are named `<group>-m` and `realtime-g` (from 2).
  const specs: ProcessSpec[] = Object.values(groups)
    .filter((g) => only === undefined || only.includes(g.name))
    .flatMap((g) =>
      Array.from({ length: members }, (_, m) => ({
        name: memberName(g.name, m + 1),
        args: [path.join(root, 'consumers', 'runtime', 'main.ts'), g.name],
        // The first member keeps the environment's settings (OUTSTREAM_HEALTH_PORT included).
        ...(m === 0
          ? {}
          : {
              env: { OUTSTREAM_HEALTH_PORT: String(memberHealthPort(defaultHealthPort(g, config), m + 1)) },
            }),
      })),
    );
  const gatewayPorts = Array.from({ length: gateways }, (_, i) => config.sse.port + i);
  if (only === undefined) {
    gatewayPorts.forEach((port, i) => {
      specs.push({
        name: memberName('realtime', i + 1),
        args: [gatewayEntry],
        ...(i === 0 ? {} : { env: { SSE_PORT: String(port) } }),
      });
    });
    specs.push({ name: 'dispatcher', args: [dispatcherEntry] });
    // The console scrapes every member and gateway node.
    specs.push({
      name: 'console',
      args: [consoleEntry, '--members', String(members), '--gateways', String(gateways)],
    });
  }
  const supervisor = supervise(specs);
  log(
    [
      '',
      `running ${specs.map((s) => s.name).join(', ')} — Ctrl-C stops them (the stack keeps running)`,
      `  health/metrics: ${Object.values(groups)
        .map((g) => `${g.name} http://127.0.0.1:${defaultHealthPort(g, config)}/health`)
        .join(', ')}${members > 1 ? ` (member m: port + 10·(m−1))` : ''}`,
      `  analytics API:  http://127.0.0.1:${config.stack.ports.analyticsHealth}/analytics/report?hotel=1`,
      ...(specs.some((s) => s.name === 'dispatcher')
        ? [
            `  dispatcher:     http://127.0.0.1:${config.stack.ports.dispatcherHealth}/health (scheduled events)`,
          ]
        : []),
      ...(specs.some((s) => s.name === 'realtime')
        ? [`  realtime (SSE): ${gatewayPorts.map((p) => `http://127.0.0.1:${p}/demo/`).join(', ')}`]
        : []),
      ...(specs.some((s) => s.name === 'console')
        ? [`  ops console:    http://127.0.0.1:${process.env.CONSOLE_PORT || config.stack.ports.opsConsole}/`]
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
