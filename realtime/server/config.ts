import { z } from 'zod';
import { loadConfig } from '../../core/config.ts';
import { ConfigError } from '../../core/errors.ts';
import { devSecret, type GatewayOptions, gatewayDefaults } from './options.ts';

const ms = (min: number) => z.coerce.number().int().min(min);
const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const envSchema = z.object({
  SSE_HOST: z.string().trim().min(1).optional(),
  SSE_JWT_SECRET: z.string().min(16, 'SSE_JWT_SECRET must be at least 16 characters').optional(),
  SSE_JWT_PUBLIC_KEYS: z
    .string()
    .refine((v) => v.includes('-----BEGIN PUBLIC KEY-----'), 'SSE_JWT_PUBLIC_KEYS must hold PEM public keys')
    .optional(),
  SSE_JWT_ISSUER: z.string().trim().min(1).optional(),
  SSE_JWT_AUDIENCE: z.string().trim().min(1).optional(),
  SSE_JWT_CLAIM: z.string().trim().min(1).optional(),
  SSE_CORS_ORIGINS: z
    .string()
    .trim()
    .refine(
      (v) => v.split(',').every((o) => o.trim() === '*' || URL.canParse(o.trim())),
      'SSE_CORS_ORIGINS must be * or comma-separated origins such as https://app.example.com',
    )
    .optional(),
  SSE_HEARTBEAT_MS: ms(100).optional(),
  SSE_RETRY_MS: ms(0).optional(),
  SSE_MAX_CONNECTIONS: count(1, 1_000_000).optional(),
  SSE_MAX_CONNECTIONS_PER_IP: count(1, 1_000_000).optional(),
  SSE_MAX_STREAM_MS: ms(1000).optional(),
  SSE_MAX_CHANNELS: count(1, 10_000).optional(),
  // Above a socket's 16 KiB high-water mark, so a full buffer always ends in a 'drain'.
  SSE_MAX_BUFFER_BYTES: count(64 * 1024, 1 << 30).optional(),
  SSE_SLOW_CLIENT_MS: ms(100).optional(),
  SSE_MAX_PENDING_EVENTS: count(1, 10_000_000).optional(),
  SSE_RESUME_WINDOW_MS: ms(1000).optional(),
  SSE_TOKEN_CLOCK_SKEW_MS: ms(0).optional(),
  SSE_MAX_REPLAY_RECORDS: count(1, 10_000_000).optional(),
  SSE_MAX_REPLAY_BYTES: count(64 * 1024, 1 << 30).optional(),
  SSE_DEDUPE_AGGREGATES: count(0, 10_000_000).optional(),
  SSE_RECENT_BUFFER_RECORDS: count(0, 10_000_000).optional(),
  SSE_DRAIN_MS: ms(0).optional(),
  SSE_TOKEN_COOKIE: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'SSE_TOKEN_COOKIE must be a cookie name')
    .optional(),
  SSE_DEMO: flag.optional(),
  SSE_PUBLISH_MAX_BYTES: count(256, 1024 * 1024).optional(),
  SSE_PUBLISH_RATE: count(1, 1_000_000).optional(),
  SSE_PRESENCE_RATE: count(1, 1_000_000).optional(),
  SSE_PRESENCE: flag.optional(),
  SSE_PRESENCE_TTL_MS: ms(1000).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
});

/** Gateway options parsed from the environment, and whether the dev secret is in use. */
export interface GatewayEnvConfig {
  options: Omit<GatewayOptions, 'logger'>;
  /** True when no key is configured and the development secret is used. */
  devSecret: boolean;
  /** pino level (`LOG_LEVEL`, default info). */
  logLevel: string;
}

/**
 * Parses the gateway's environment once, at the edge: the stack settings of `core/config.ts`
 * (Kafka, registry, Redis for presence, `SSE_PORT`) plus the `SSE_*` variables above. With neither
 * `SSE_JWT_SECRET` nor `SSE_JWT_PUBLIC_KEYS`, the development secret is used (dev only).
 *
 * @throws ConfigError naming every invalid variable.
 */
export function loadGatewayConfig(env: Record<string, string | undefined>): GatewayEnvConfig {
  const core = loadConfig(env);
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success)
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const e = parsed.data;
  const publicKeys =
    e.SSE_JWT_PUBLIC_KEYS?.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  const useDev = !e.SSE_JWT_SECRET && publicKeys.length === 0;
  const d = gatewayDefaults;
  return {
    devSecret: useDev,
    logLevel: e.LOG_LEVEL ?? 'info',
    options: {
      port: core.sse.port,
      kafka: core.kafka,
      registryUrl: core.registry.url,
      ...(e.SSE_PRESENCE === false ? {} : { redisUrl: core.redis.url }),
      auth: {
        ...(useDev ? { secret: devSecret } : e.SSE_JWT_SECRET ? { secret: e.SSE_JWT_SECRET } : {}),
        publicKeys,
        ...(e.SSE_JWT_ISSUER ? { issuer: e.SSE_JWT_ISSUER } : {}),
        ...(e.SSE_JWT_AUDIENCE ? { audience: e.SSE_JWT_AUDIENCE } : {}),
        ...(e.SSE_JWT_CLAIM ? { claim: e.SSE_JWT_CLAIM } : {}),
      },
      host: e.SSE_HOST ?? d.host,
      corsOrigins: e.SSE_CORS_ORIGINS ? e.SSE_CORS_ORIGINS.split(',').map((o) => o.trim()) : d.corsOrigins,
      heartbeatMs: e.SSE_HEARTBEAT_MS ?? d.heartbeatMs,
      retryMs: e.SSE_RETRY_MS ?? d.retryMs,
      maxConnections: e.SSE_MAX_CONNECTIONS ?? d.maxConnections,
      maxConnectionsPerIp: e.SSE_MAX_CONNECTIONS_PER_IP ?? d.maxConnectionsPerIp,
      maxStreamMs: e.SSE_MAX_STREAM_MS ?? d.maxStreamMs,
      maxChannels: e.SSE_MAX_CHANNELS ?? d.maxChannels,
      maxBufferBytes: e.SSE_MAX_BUFFER_BYTES ?? d.maxBufferBytes,
      slowClientMs: e.SSE_SLOW_CLIENT_MS ?? d.slowClientMs,
      maxPendingEvents: e.SSE_MAX_PENDING_EVENTS ?? d.maxPendingEvents,
      resumeWindowMs: e.SSE_RESUME_WINDOW_MS ?? d.resumeWindowMs,
      tokenClockSkewMs: e.SSE_TOKEN_CLOCK_SKEW_MS ?? d.tokenClockSkewMs,
      maxReplayRecords: e.SSE_MAX_REPLAY_RECORDS ?? d.maxReplayRecords,
      maxReplayBytes: e.SSE_MAX_REPLAY_BYTES ?? d.maxReplayBytes,
      dedupeAggregates: e.SSE_DEDUPE_AGGREGATES ?? d.dedupeAggregates,
      recentBufferRecords: e.SSE_RECENT_BUFFER_RECORDS ?? d.recentBufferRecords,
      drainMs: e.SSE_DRAIN_MS ?? d.drainMs,
      cookieName: e.SSE_TOKEN_COOKIE ?? d.cookieName,
      demo: e.SSE_DEMO ?? d.demo,
      publishMaxBytes: e.SSE_PUBLISH_MAX_BYTES ?? d.publishMaxBytes,
      publishRate: e.SSE_PUBLISH_RATE ?? d.publishRate,
      presenceRate: e.SSE_PRESENCE_RATE ?? d.presenceRate,
      presenceTtlMs: e.SSE_PRESENCE_TTL_MS ?? d.presenceTtlMs,
    },
  };
}
