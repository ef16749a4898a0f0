import { z } from 'zod';
import { loadConfig, type OutstreamConfig } from '../../core/config.ts';
import { ConfigError } from '../../core/errors.ts';
import type { AuthOptions } from '../../realtime/server/auth.ts';
import { loadGatewayConfig } from '../../realtime/server/config.ts';
import { maxScale } from '../start/supervisor.ts';

const envSchema = z.object({
  CONSOLE_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  CONSOLE_HOST: z.string().trim().min(1).optional(),
  CONSOLE_REQUIRE_TOKEN: z.enum(['0', '1'], { error: 'CONSOLE_REQUIRE_TOKEN must be 0 or 1' }).optional(),
  CONSOLE_SCRAPE_INTERVAL_MS: z.coerce.number().int().min(500).max(60_000).optional(),
  CONSOLE_MEMBERS: z.coerce.number().int().min(1).max(maxScale).optional(),
  CONSOLE_GATEWAYS: z.coerce.number().int().min(1).max(maxScale).optional(),
});

/** The console's settings, parsed once from the environment. */
export interface ConsoleConfig {
  config: OutstreamConfig;
  /** The operator tokens' keys: the realtime gateway's (`SSE_JWT_*`). */
  auth: AuthOptions;
  /** No `SSE_JWT_SECRET`/`SSE_JWT_PUBLIC_KEYS`: tokens are signed with the development secret. */
  devSecret: boolean;
  /** `CONSOLE_HOST`, default 127.0.0.1. */
  host: string;
  /** `CONSOLE_PORT`, default 18100 + OUTSTREAM_PORT_OFFSET. */
  port: number;
  /** `CONSOLE_REQUIRE_TOKEN=1`: the read-only views need an operator token too. */
  requireTokenForReads: boolean;
  /** `CONSOLE_SCRAPE_INTERVAL_MS`, default 5000. */
  scrapeIntervalMs: number;
  /** `CONSOLE_MEMBERS`: processes per group to scrape (`npm start -- --members N`), default 1. */
  members: number;
  /** `CONSOLE_GATEWAYS`: gateway nodes to read the health of (`--gateways N`), default 1. */
  gateways: number;
}

/**
 * Parses the console's environment: the stack settings (`core/config.ts`), the gateway's JWT
 * settings (`realtime/server/config.ts`) and the `CONSOLE_*` variables.
 *
 * @throws ConfigError naming every invalid variable.
 */
export function loadConsoleConfig(env: Record<string, string | undefined>): ConsoleConfig {
  const config = loadConfig(env);
  const gateway = loadGatewayConfig(env);
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success)
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const e = parsed.data;
  return {
    config,
    auth: gateway.options.auth,
    devSecret: gateway.devSecret,
    host: e.CONSOLE_HOST ?? '127.0.0.1',
    port: e.CONSOLE_PORT ?? config.stack.ports.opsConsole,
    requireTokenForReads: e.CONSOLE_REQUIRE_TOKEN === '1',
    scrapeIntervalMs: e.CONSOLE_SCRAPE_INTERVAL_MS ?? 5_000,
    members: e.CONSOLE_MEMBERS ?? 1,
    gateways: e.CONSOLE_GATEWAYS ?? 1,
  };
}

/** Whether `host` only listens on this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
