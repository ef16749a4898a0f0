import type { HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import type { Logger } from 'pino';
import { ForbiddenChannelError, isOutstreamError, type OutstreamError } from '../../core/errors.ts';
import type { Publisher } from '../../producers/index.ts';
import { AddressLimits } from './address-limits.ts';
import type { Authenticator } from './auth.ts';
import { grants, parseChannelList } from './channel-request.ts';
import { DisconnectReason, SseConnection } from './connection.ts';
import type { createDemoAssets } from './demo-assets.ts';
import { mountEphemeral } from './ephemeral-routes.ts';
import type { Hub } from './hub.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { GatewayTunables } from './options.ts';
import type { Presence } from './presence.ts';
import { requestToken } from './request-token.ts';
import type { createStreamStarter } from './resume.ts';
import type { Router } from './router.ts';
import { retryFrame } from './sse-frame.ts';

/** What the HTTP layer needs from the rest of the gateway. */
export interface AppDeps {
  options: GatewayTunables;
  auth: Authenticator;
  hub: Hub;
  router: Router;
  starter: ReturnType<typeof createStreamStarter>;
  metrics: GatewayMetrics;
  assets: ReturnType<typeof createDemoAssets>;
  logger: Logger;
  nodeId: string;
  /** Resolves once the node reads the log; streams wait for it (bounded). */
  ready: () => Promise<boolean>;
  isReady: () => boolean;
  isDraining: () => boolean;
  /** What the live read is waiting out (Kafka unreachable, a restart); undefined while it reads. */
  kafkaDegraded: () => string | undefined;
  /** Writes ephemeral events (`POST /v1/publish`); unset: publishing is off. */
  publisher?: Publisher;
  /** Shared presence (Redis); unset: presence is off. */
  presence?: Presence;
}

const statusOf: Record<string, 400 | 401 | 403 | undefined> = {
  UNAUTHORIZED: 401,
  FORBIDDEN_CHANNEL: 403,
  INVALID_CHANNELS: 400,
};

/**
 * The gateway's HTTP surface (hono): `GET /v1/stream`, `/health`, `/metrics`, `/demo`. The
 * stream handler checks the node's and the client address's limits, authenticates and
 * validates through hono, then writes the SSE stream straight to the Node response and tells
 * the adapter so (`RESPONSE_ALREADY_SENT`).
 */
export function createApp(deps: AppDeps) {
  const { options, hub, metrics, logger } = deps;
  const app = new Hono<{ Bindings: HttpBindings }>();
  const anyOrigin = options.corsOrigins.includes('*');
  const perAddress = new AddressLimits(options.maxConnectionsPerIp);
  /** Streams admitted but not yet registered with the hub (authenticating, waiting for the feed). */
  let opening = 0;

  if (options.corsOrigins.length > 0) {
    app.use(
      '*',
      cors({
        origin: anyOrigin ? '*' : [...options.corsOrigins],
        // Cookies cross-origin only for listed origins: browsers refuse credentials with `*`.
        credentials: !anyOrigin,
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: ['Authorization', 'Last-Event-ID', 'Cache-Control', 'Content-Type'],
        maxAge: 600,
      }),
    );
  }

  const refuse = (c: Context, status: 400 | 401 | 403 | 429 | 503, body: Record<string, unknown>) => {
    metrics.rejected.inc({ status: String(status) });
    const headers: Record<string, string> = {};
    if (status === 401) headers['www-authenticate'] = 'Bearer realm="outstream"';
    if (status === 503 || status === 429) headers['retry-after'] = '2';
    return c.json(body, status, headers);
  };

  app.get('/v1/stream', async (c) => {
    if (deps.isDraining())
      return refuse(c, 503, { error: 'DRAINING', message: 'this node is shutting down' });
    if (hub.size + opening >= options.maxConnections) {
      return refuse(c, 503, {
        error: 'CONNECTION_LIMIT',
        message: `this node holds ${options.maxConnections} streams`,
      });
    }
    const ip = getConnInfo(c).remote.address ?? 'unknown';
    if (!perAddress.acquire(ip)) {
      return refuse(c, 429, {
        error: 'ADDRESS_CONNECTION_LIMIT',
        message: `${ip} holds ${options.maxConnectionsPerIp} streams on this node, the most one address may`,
      });
    }
    opening++;
    let handedOver = false;
    try {
      const response = await open(c, ip);
      handedOver = response === RESPONSE_ALREADY_SENT;
      return response;
    } finally {
      opening--;
      if (!handedOver) perAddress.release(ip);
    }
  });

  async function open(c: Context<{ Bindings: HttpBindings }>, ip: string) {
    const token = requestToken(c, options.cookieName);
    let channels: ReturnType<typeof parseChannelList>;
    let grant: Awaited<ReturnType<Authenticator['authenticate']>>;
    try {
      grant = await deps.auth.authenticate(token);
      channels = parseChannelList(c.req.query('channels'), options.maxChannels);
      const forbidden = channels.filter((ch) => !grants(grant.patterns, ch)).map((ch) => ch.channel);
      if (forbidden.length > 0) throw new ForbiddenChannelError(forbidden);
    } catch (e) {
      const status = isOutstreamError(e) ? statusOf[e.code] : undefined;
      if (status === undefined) throw e;
      const err = e as OutstreamError;
      return refuse(c, status, {
        error: err.code,
        message: err.message,
        ...(e instanceof ForbiddenChannelError ? { channels: e.channels } : {}),
      });
    }
    if (!deps.isReady() && !(await deps.ready())) {
      return refuse(c, 503, { error: 'STARTING', message: 'this node is not reading the log yet' });
    }
    // The header is newer than the query: a client opened with ?lastEventId= sends the header
    // on its own reconnects.
    const lastEventId = c.req.header('last-event-id') || c.req.query('lastEventId') || undefined;
    const res = c.env.outgoing;
    const topics = [...new Set(channels.flatMap((ch) => [...deps.router.topicsOf(ch.kind)]))].sort();
    // hono's cors() set its headers on the response hono did not send: carry them over.
    const corsHeaders: Record<string, string> = {};
    for (const [k, v] of c.res.headers) if (k.startsWith('access-control-')) corsHeaders[k] = v;
    if (corsHeaders['access-control-allow-origin'] && !anyOrigin) corsHeaders.vary = 'Origin';
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      ...corsHeaders,
    });
    c.env.incoming.socket.setNoDelay(true);
    // Every stream ends: at the token's expiry, or at the node's maximum lifetime (90–100 % of
    // it, so streams opened together, e.g. after a restart, do not all end together).
    const lifetimeEnd = Date.now() + options.maxStreamMs * (0.9 + 0.1 * Math.random());
    const expiry =
      grant.expiresAt !== undefined && grant.expiresAt <= lifetimeEnd
        ? { at: grant.expiresAt, reason: DisconnectReason.tokenExpired }
        : { at: lifetimeEnd, reason: DisconnectReason.maxLifetime };
    // Members of the channels the `presence` claim grants (streams with a subject only).
    const presenceChannels =
      deps.presence && grant.subject !== undefined
        ? channels.filter((ch) => grants(grant.presence, ch)).map((ch) => ch.channel)
        : [];
    const conn = new SseConnection({
      res,
      ip,
      channels,
      topics,
      subject: grant.subject,
      presenceChannels,
      expiry,
      maxBufferBytes: options.maxBufferBytes,
      slowClientMs: options.slowClientMs,
      onCatchUp: (lagging) => {
        deps.starter.catchUp(lagging).catch((e: unknown) => {
          logger.error({ err: e, conn: lagging.id }, 'catch-up failed');
          res.destroy();
        });
      },
      onClose: (closed, reason) => {
        hub.unregister(closed);
        perAddress.release(closed.ip);
        for (const ch of closed.presenceChannels) void deps.presence?.leave(ch, closed.subject!);
        if (reason !== 'client-closed') metrics.disconnects.inc({ reason });
      },
    });
    // ±50 % jitter: a node's clients do not all come back in the same instant.
    conn.write(retryFrame(options.retryMs * (0.5 + Math.random())));
    for (const ch of presenceChannels) void deps.presence?.join(ch, grant.subject!);
    deps.starter.start(conn, lastEventId).catch((e: unknown) => {
      logger.error({ err: e, conn: conn.id }, 'stream failed');
      res.destroy();
    });
    return RESPONSE_ALREADY_SENT;
  }

  mountEphemeral(app, {
    auth: deps.auth,
    router: deps.router,
    publisher: deps.publisher,
    presence: deps.presence,
    cookieName: options.cookieName,
    publishMaxBytes: options.publishMaxBytes,
    publishRate: options.publishRate,
    presenceRate: options.presenceRate,
    logger,
    refuse,
  });

  app.get('/health', (c) => {
    const connections = hub.size;
    // `full`: the node refuses new streams at its limit, so a balancer should send them
    // elsewhere (503); its open streams carry on.
    const state = deps.isDraining()
      ? 'draining'
      : !deps.isReady()
        ? 'starting'
        : connections >= options.maxConnections
          ? 'full'
          : 'ok';
    // Still 200 while Kafka is waited out: the node keeps its streams (heartbeats, resumes from
    // memory), and every other node is most likely waiting for the same cluster.
    const kafka = deps.kafkaDegraded() ?? 'ok';
    // Presence degrades alone (Redis down): streams and publishing carry on, so still 200.
    const presence = deps.presence ? (deps.presence.degraded() ?? 'ok') : 'off';
    return c.json(
      {
        status: state,
        node: deps.nodeId,
        connections,
        maxConnections: options.maxConnections,
        saturation: Math.round((connections / options.maxConnections) * 1000) / 1000,
        kafka,
        presence,
      },
      state === 'ok' ? 200 : 503,
    );
  });

  app.get('/metrics', async (c) => {
    return c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType });
  });

  if (options.demo) {
    const js = { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' };
    app.get('/demo', (c) => c.redirect('/demo/'));
    app.get('/demo/', async (c) => c.html((await deps.assets.page()) ?? 'demo page missing'));
    app.get('/demo/:file', async (c) => {
      const code = await deps.assets.script('demo', c.req.param('file'));
      return code === undefined ? c.notFound() : c.body(code, 200, js);
    });
    app.get('/client/:file', async (c) => {
      const code = await deps.assets.script('client', c.req.param('file'));
      return code === undefined ? c.notFound() : c.body(code, 200, js);
    });
  }

  app.onError((e, c) => {
    logger.error({ err: e }, 'request failed');
    return c.json({ error: 'INTERNAL', message: 'internal error' }, 500);
  });

  return app;
}
