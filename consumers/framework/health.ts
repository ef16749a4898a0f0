import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { ConfigError } from '../../core/errors.ts';
import type { Consumer } from './define-consumer.ts';

/**
 * The health and metrics endpoints of a consumer process:
 * - `GET /health`: JSON with each consumer's state, assignment, in-flight count, `degraded`,
 *   `dependencies` and `stalled`, and an overall `status`:
 *   - `ok` (200): every consumer runs;
 *   - `degraded` (200): one waits something out — a broker that is down, a dependency its
 *     events wait for (named, with how long and how many events): restarting would not help;
 *   - `unhealthy` (503): one is stalled (work and no progress for its `stallTimeoutMs`):
 *     restart it (`npm start`'s supervisor does);
 *   - `unavailable` (503): one is not running (starting, stopping, stopped, crashed).
 * - `GET /metrics`: Prometheus text of the consumers' registries.
 *
 * @throws ConfigError when two consumers have separate registries with the same metrics
 *   (give them one `metricsRegistry`: the `group` label keeps them apart).
 */
export function createHealthApp(consumers: readonly Consumer[]): Hono {
  const registries = [...new Set(consumers.map((c) => c.metrics))];
  let registry: Registry;
  try {
    registry = registries.length === 1 ? registries[0]! : Registry.merge(registries);
  } catch (e) {
    throw new ConfigError([
      `createHealthApp: consumers ${consumers.map((c) => c.group).join(', ')} need one shared metricsRegistry (${(e as Error).message})`,
    ]);
  }
  const app = new Hono();
  app.get('/health', (c) => {
    const statuses = consumers.map((x) => x.status());
    const running = statuses.every((s) => s.state === 'running');
    const stalled = statuses.some((s) => s.stalled !== undefined);
    // An outage is waited out, not a reason to restart the process: shown, still 200.
    const degraded = statuses.some((s) => s.degraded !== undefined);
    const status = !running ? 'unavailable' : stalled ? 'unhealthy' : degraded ? 'degraded' : 'ok';
    return c.json({ status, consumers: statuses }, running && !stalled ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    c.header('content-type', registry.contentType);
    return c.body(await registry.metrics());
  });
  return app;
}

/**
 * Serves {@link createHealthApp} on `port` (0 picks a free one).
 *
 * @example
 * const health = await serveHealth([consumer], { port: 9464 });
 * // …
 * await health.close();
 */
export async function serveHealth(
  consumers: readonly Consumer[],
  { port, hostname = '0.0.0.0' }: { port: number; hostname?: string },
): Promise<{ port: number; close(): Promise<void> }> {
  const app = createHealthApp(consumers);
  let server: ServerType | undefined;
  const bound = await new Promise<number>((resolve) => {
    server = serve({ fetch: app.fetch, port, hostname }, (info) => resolve(info.port));
  });
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server!.close(() => resolve())),
  };
}
