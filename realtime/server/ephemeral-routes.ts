import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ErrorCode, type InvalidEventError, isOutstreamError } from '../../core/errors.ts';
import type { Publisher } from '../../producers/index.ts';
import { type AnyEvent, isEphemeralEventType, isEventType } from '../../schemas/index.ts';
import { presenceEventTypes } from '../channels.ts';
import type { Authenticator, Grant } from './auth.ts';
import { grants, parseChannel } from './channel-request.ts';
import type { Presence } from './presence.ts';
import { requestToken } from './request-token.ts';
import type { Router } from './router.ts';

/** What the publish and presence endpoints need. */
export interface EphemeralRouteDeps {
  auth: Authenticator;
  router: Router;
  /** Unset: `POST /v1/publish` answers 503. */
  publisher: Publisher | undefined;
  /** Unset (no Redis configured): `GET /v1/presence` answers 503. */
  presence: Presence | undefined;
  cookieName: string;
  /** Largest accepted body of `POST /v1/publish` (bytes). */
  publishMaxBytes: number;
  /** Publishes per second one subject may make, as a burst. */
  publishRate: number;
  /** Presence reads per second one subject (or, for a token without one, one address) may make. */
  presenceRate: number;
  logger: Logger;
  /** Answers a refusal (counts it in the metrics, adds Retry-After to 429/503). */
  refuse: (c: Context, status: 400 | 401 | 403 | 429 | 503, body: Record<string, unknown>) => Response;
}

/**
 * `POST /v1/publish` (browsers publish ephemeral events on channels their token's `publish`
 * claim grants) and `GET /v1/presence?channel=` (members of a channel, for tokens whose
 * `presence` claim grants it). Both authenticate with the stream's tokens.
 */
export function mountEphemeral<E extends object>(app: Hono<E>, deps: EphemeralRouteDeps): void {
  const { refuse } = deps;
  const limiter = new RateLimiterMemory({ points: deps.publishRate, duration: 1 });
  const presenceLimiter = new RateLimiterMemory({ points: deps.presenceRate, duration: 1 });

  /** Consumes one point of `key`; the 429 answer when none is left. */
  async function overLimit(
    c: Context,
    on: RateLimiterMemory,
    key: string,
    error: string,
    message: string,
  ): Promise<Response | undefined> {
    try {
      await on.consume(key);
      return undefined;
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      const res = refuse(c, 429, { error, message });
      res.headers.set('retry-after', String(Math.max(1, Math.ceil(e.msBeforeNext / 1000))));
      return res;
    }
  }

  /** The grant of a request, or the 401 answer. */
  async function authenticate(c: Context): Promise<Grant | Response> {
    try {
      return await deps.auth.authenticate(requestToken(c, deps.cookieName));
    } catch (e) {
      if (!isOutstreamError(e, ErrorCode.unauthorized)) throw e;
      return refuse(c, 401, { error: e.code, message: e.message });
    }
  }

  app.post(
    '/v1/publish',
    bodyLimit({
      maxSize: deps.publishMaxBytes,
      onError: (c) =>
        refuse(c, 400, {
          error: 'BODY_TOO_LARGE',
          message: `the body exceeds ${deps.publishMaxBytes} bytes`,
        }),
    }),
    async (c) => {
      const grant = await authenticate(c);
      if (grant instanceof Response) return grant;
      if (!grant.subject) {
        return refuse(c, 403, {
          error: 'NO_SUBJECT',
          message: 'publishing needs a token with a subject (sub)',
        });
      }
      const limited = await overLimit(
        c,
        limiter,
        grant.subject,
        'PUBLISH_RATE_LIMIT',
        `at most ${deps.publishRate} publishes per second per subject`,
      );
      if (limited) return limited;
      const body = await readBody(c);
      if (typeof body === 'string') return refuse(c, 400, { error: 'MALFORMED_BODY', message: body });
      const { type, payload } = body;
      if (typeof type !== 'string' || !isEventType(type)) {
        return refuse(c, 400, {
          error: ErrorCode.unknownEventType,
          message: `unknown event type ${JSON.stringify(type)?.slice(0, 80) ?? 'undefined'}`,
        });
      }
      if (!isEphemeralEventType(type) || presenceEventTypes.has(type)) {
        return refuse(c, 400, {
          error: 'UNPUBLISHABLE_TYPE',
          message: `${type} cannot be published by clients (ephemeral chat events only; presence is the gateway's)`,
        });
      }
      if (!deps.publisher)
        return refuse(c, 503, { error: 'PUBLISH_OFF', message: 'publishing is not enabled' });
      const actor = grant.subject;
      try {
        deps.publisher.prepare({ type, payload, actor } as never);
      } catch (e) {
        if (!isOutstreamError(e, ErrorCode.invalidEvent)) throw e;
        const err = e as InvalidEventError;
        return refuse(c, 400, { error: err.code, message: err.message, issues: err.issues });
      }
      const channels = deps.router
        .route({
          id: '',
          type,
          aggregateType: '',
          aggregateId: '',
          sequence: 0,
          payload,
        } as unknown as AnyEvent)
        .map((d) => d.channel);
      const forbidden = channels.filter((ch) => !grants(grant.publish, parseChannel(ch)!));
      if (channels.length === 0 || forbidden.length > 0) {
        return refuse(c, 403, {
          error: ErrorCode.forbiddenChannel,
          message:
            channels.length === 0
              ? 'the event reaches no channel'
              : `not allowed to publish to ${forbidden.join(', ')} (the token's "publish" claim)`,
          channels: forbidden,
        });
      }
      try {
        const at = await deps.publisher.publish({ type, payload, actor } as never);
        return c.json({ id: at.eventId, type, channels }, 202);
      } catch (e) {
        deps.logger.warn({ err: e, type }, 'publish failed');
        return refuse(c, 503, {
          error: 'PUBLISH_FAILED',
          message: 'the event could not be written to Kafka: retry',
        });
      }
    },
  );

  app.get('/v1/presence', async (c) => {
    const grant = await authenticate(c);
    if (grant instanceof Response) return grant;
    const raw = c.req.query('channel') ?? '';
    const channel = parseChannel(raw);
    if (!channel) {
      return refuse(c, 400, {
        error: ErrorCode.invalidChannels,
        message: `malformed channel "${raw.slice(0, 140)}": expected <kind>:<id>`,
      });
    }
    if (!grants(grant.presence, channel)) {
      return refuse(c, 403, {
        error: ErrorCode.forbiddenChannel,
        message: `not allowed to see presence on ${channel.channel} (the token's "presence" claim)`,
        channels: [channel.channel],
      });
    }
    if (!deps.presence) return refuse(c, 503, { error: 'PRESENCE_OFF', message: 'presence is not enabled' });
    // Each read is a Redis round trip: a client polling in a loop must not make Redis its own.
    const limited = await overLimit(
      c,
      presenceLimiter,
      grant.subject ? `sub:${grant.subject}` : `ip:${getConnInfo(c).remote.address ?? 'unknown'}`,
      'PRESENCE_RATE_LIMIT',
      `at most ${deps.presenceRate} presence reads per second per subject`,
    );
    if (limited) return limited;
    try {
      return c.json({ channel: channel.channel, members: await deps.presence.members(channel.channel) });
    } catch (e) {
      deps.logger.warn({ err: e }, 'presence read failed');
      return refuse(c, 503, {
        error: 'PRESENCE_UNAVAILABLE',
        message: 'presence cannot be read now (Redis)',
      });
    }
  });
}

/** A JSON object body, or why it is not one. */
async function readBody(c: Context): Promise<Record<string, unknown> | string> {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    return 'the body is not JSON: send {"type": "<event type>", "payload": {…}}';
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return 'the body is not a JSON object: send {"type": "<event type>", "payload": {…}}';
  }
  return body as Record<string, unknown>;
}
