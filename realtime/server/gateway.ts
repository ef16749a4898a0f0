import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { serve } from '@hono/node-server';
import { pino } from 'pino';
import { createEventDecoder } from '../../consumers/decoder.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { createPublisher, createSchemaIds } from '../../producers/index.ts';
import { topics as catalogueTopics } from '../../schemas/index.ts';
import { createApp } from './app.ts';
import { createAuthenticator } from './auth.ts';
import { DisconnectReason } from './connection.ts';
import { createRecordRouter } from './decode-record.ts';
import { createDemoAssets } from './demo-assets.ts';
import { createGapReader } from './gap-reader.ts';
import { createHub } from './hub.ts';
import { createLiveFeed } from './live-feed.ts';
import { createLogBounds } from './log-bounds.ts';
import { createMetrics } from './metrics.ts';
import { type GatewayOptions, type GatewayTunables, gatewayDefaults } from './options.ts';
import { createPresence } from './presence.ts';
import { createPresencePublisher } from './presence-events.ts';
import { RecentBuffer } from './recent-buffer.ts';
import { createStreamStarter } from './resume.ts';
import { createRouter } from './router.ts';
import { checkpointFrame } from './sse-frame.ts';

/** A running gateway node. */
export interface Gateway {
  /** The port it listens on (useful with `port: 0`). */
  port: number;
  /** This node's id (logs, `/health`); the node reads Kafka group-less, so no group bears it. */
  nodeId: string;
  /** Open streams. */
  connections(): number;
  /**
   * Drains and stops: stops accepting, ends every stream with a `disconnect` (reason
   * `draining`) spread over `drainMs` so clients resume elsewhere without a stampede, then
   * stops reading Kafka.
   */
  close(): Promise<void>;
}

/**
 * Starts one gateway node: the HTTP server at once (`/health` answers `starting`), then the
 * live feed, from the end of every partition; streams wait for it. Embeddable (`npm start`
 * runs it beside the consumer groups); `npm run sse` runs it alone.
 *
 * @example
 * const gateway = await startGateway({ ...loadGatewayConfig(process.env).options, logger });
 * process.once('SIGTERM', () => void gateway.close());
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const tunables: GatewayTunables = { ...gatewayDefaults, ...stripUndefined(options) };
  const logger = options.logger ?? pino({ level: 'silent' });
  const nodeId = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const kafka = createKafka({ ...options.kafka, clientId: `${options.kafka.clientId}-sse` });
  const topics = [...catalogueTopics];
  const auth = createAuthenticator(options.auth);
  const router = createRouter();
  const metrics = createMetrics();
  const recent = new RecentBuffer(tunables.recentBufferRecords);
  const hub = createHub({
    recent,
    metrics,
    logger,
    heartbeatMs: tunables.heartbeatMs,
    resumeWindowMs: tunables.resumeWindowMs,
    maxPendingEvents: tunables.maxPendingEvents,
    dedupeAggregates: tunables.dedupeAggregates,
  });
  const registry = createSchemaRegistry({ url: options.registryUrl });
  const producer = options.publish === false ? undefined : kafka.producer();
  const publisher = producer && createPublisher({ producer, schemaIds: createSchemaIds(registry) });
  const presenceEvents = createPresencePublisher(publisher, logger);
  const presence = options.redisUrl
    ? createPresence({
        redisUrl: options.redisUrl,
        nodeId,
        ttlMs: tunables.presenceTtlMs,
        logger,
        onChange: presenceEvents.announce,
      })
    : undefined;
  const routeRecord = createRecordRouter(createEventDecoder(registry), router, (record, e) =>
    hub.skipped(record.topic, record.partition, record.offset, e),
  );
  const admin = kafka.admin();
  const reader = kafka.reader();
  const liveFeed = createLiveFeed({ reader, admin, topics, routeRecord, positions: hub, logger });
  const gapReader = createGapReader({
    reader,
    logger,
    route: routeRecord,
    maxRecords: tunables.maxReplayRecords,
    maxBytes: tunables.maxReplayBytes,
    onRecords: (n) => metrics.gapRecordsRead.inc(n),
  });
  const stopReading = async () => {
    await Promise.allSettled([liveFeed.stop(), gapReader.stop()]);
    await presence?.close();
    await presenceEvents.settled();
    await Promise.allSettled([reader.close(), admin.close(), producer?.close()]);
  };
  const starter = createStreamStarter({
    hub,
    recent,
    gapReader,
    logBounds: createLogBounds(admin),
    metrics,
    logger,
    limits: {
      resumeWindowMs: tunables.resumeWindowMs,
      clockSkewMs: tunables.tokenClockSkewMs,
      maxReplayRecords: tunables.maxReplayRecords,
      maxReplayBytes: tunables.maxReplayBytes,
    },
  });

  let ready = false;
  let draining = false;
  await presence?.start();
  const started = liveFeed.start().then(() => {
    ready = true;
  });
  started.catch((e: unknown) => logger.error({ err: e }, 'gateway could not start reading Kafka'));

  const app = createApp({
    options: tunables,
    auth,
    hub,
    router,
    starter,
    metrics,
    assets: createDemoAssets(),
    logger,
    nodeId,
    ready: () =>
      Promise.race([
        started.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref()),
      ]).catch(() => false),
    isReady: () => ready,
    kafkaDegraded: liveFeed.degraded,
    isDraining: () => draining,
    ...(publisher ? { publisher } : {}),
    ...(presence ? { presence } : {}),
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: tunables.host }, () =>
      resolve(s as Server),
    );
    s.once('error', reject);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  const port = (server.address() as AddressInfo).port;

  let lastHeartbeat = Date.now();
  const tick = setInterval(
    () => {
      const now = Date.now();
      const heartbeat = now - lastHeartbeat >= tunables.heartbeatMs;
      if (heartbeat) lastHeartbeat = now;
      hub.tick(now, heartbeat);
    },
    Math.min(1_000, tunables.heartbeatMs),
  );

  try {
    await started;
  } catch (e) {
    clearInterval(tick);
    server.close();
    await stopReading();
    throw e;
  }
  logger.info({ port, nodeId, host: tunables.host }, 'gateway ready');

  let closing: Promise<void> | undefined;
  return {
    port,
    nodeId,
    connections: () => hub.size,
    close() {
      closing ??= (async () => {
        draining = true;
        const closed = new Promise<void>((r) => server.close(() => r()));
        const conns = hub.connections();
        const step = conns.length > 0 ? tunables.drainMs / conns.length : 0;
        logger.info({ connections: conns.length, drainMs: tunables.drainMs }, 'draining');
        await new Promise<void>((resolve) => {
          if (conns.length === 0) return resolve();
          conns.forEach((conn, i) => {
            setTimeout(() => {
              // A last checkpoint, so the client resumes from here on another node.
              if (conn.state === 'live') conn.write(checkpointFrame(hub.tokenFor(conn)));
              conn.end(DisconnectReason.draining, 'this node is shutting down: reconnect to resume');
              if (i === conns.length - 1) resolve();
            }, i * step);
          });
        });
        clearInterval(tick);
        server.closeAllConnections();
        await closed;
        await stopReading();
        logger.info('gateway stopped');
      })();
      return closing;
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
