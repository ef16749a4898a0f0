import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Logger } from 'pino';
import type { GroupDefinition } from '../../consumers/runtime/run-group.ts';
import { defaultHealthPort } from '../../consumers/runtime/run-group.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { memberHealthPort, memberName } from '../start/supervisor.ts';
import { createActions } from './actions.ts';
import { createConsoleApp } from './app.ts';
import { createOpsAuth } from './ops-auth.ts';
import type { ConsoleConfig } from './options.ts';
import { createScraper, type ScrapeTarget } from './scraper.ts';

/** Options of {@link startConsole}. */
export interface StartConsoleOptions extends ConsoleConfig {
  /** The environment group definitions read their own settings from (replays build them). */
  env: Record<string, string | undefined>;
  /** The groups whose handlers replay dead letters, by name (default: the platform's). */
  definitions?: Readonly<Record<string, GroupDefinition>>;
  /** What to scrape (default: each group's health/metrics port and the gateway). */
  targets?: readonly ScrapeTarget[];
  logger: Logger;
}

/** A running console. */
export interface RunningConsole {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the ops console: the scraper of the groups' metrics and the page with its API.
 *
 * @example
 * const c = await startConsole({ ...loadConsoleConfig(process.env), env: process.env, logger });
 * console.log(c.url);
 */
export async function startConsole(o: StartConsoleOptions): Promise<RunningConsole> {
  const definitions = o.definitions ?? (await import('../../consumers/runtime/groups.ts')).groups;
  const { config } = o;
  const kafka = createKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-console` });
  const registry = createSchemaRegistry({ url: config.registry.url });
  const platform = (await import('../../consumers/runtime/groups.ts')).groups;
  const members = Array.from({ length: o.members }, (_, i) => i + 1);
  const targets: readonly ScrapeTarget[] = o.targets ?? [
    ...Object.values(platform).flatMap((g) =>
      members.map((m) => ({
        name: memberName(g.name, m),
        url: `http://127.0.0.1:${memberHealthPort(defaultHealthPort(g, config), m)}`,
        metrics: true,
      })),
    ),
    ...Array.from({ length: o.gateways }, (_, i) => ({
      name: memberName('realtime', i + 1),
      url: `http://127.0.0.1:${config.sse.port + i}`,
      metrics: false,
    })),
  ];
  const scraper = createScraper({ targets, intervalMs: o.scrapeIntervalMs });
  const app = createConsoleApp({
    views: { config, kafka, registry, scraper, knownGroups: Object.keys(platform) },
    actions: createActions({ config, env: o.env, kafka, registry, definitions, logger: o.logger }),
    auth: createOpsAuth(o.auth),
    requireTokenForReads: o.requireTokenForReads,
    onError: (e, path) => o.logger.warn({ err: e, path }, 'view failed'),
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: o.port, hostname: o.host }, () => resolve(s));
    s.once('error', reject);
  });
  scraper.start();
  const port = (server.address() as AddressInfo).port;
  const shown = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    async close() {
      scraper.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
