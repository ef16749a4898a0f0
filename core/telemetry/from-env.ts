import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import type { Tracing } from './sdk.ts';

const url = (name: string) =>
  z
    .string()
    .trim()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), {
      message: `${name} must be an http(s) URL`,
    });

/** The standard OpenTelemetry variables a runnable reads (the OTLP/HTTP exporter's spec names). */
export const tracingEnvSchema = z.object({
  /** Base URL of a collector's OTLP/HTTP receiver (`http://127.0.0.1:4318`): spans go to `<it>/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT: url('OTEL_EXPORTER_OTLP_ENDPOINT').optional(),
  /** The full traces URL, used as is (wins over the base endpoint). */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT').optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).max(255).optional(),
});

/** Tracing settings parsed from the environment; `url` undefined means tracing is off. */
export interface TracingSettings {
  url: string | undefined;
  serviceName: string;
}

/**
 * Reads the OTLP settings: tracing is on when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set, off otherwise.
 *
 * @throws ConfigError naming a malformed variable.
 */
export function tracingSettings(
  env: Record<string, string | undefined>,
  defaultServiceName: string,
): TracingSettings {
  const parsed = tracingEnvSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v)));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  return {
    url: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base === undefined ? undefined : `${base}/v1/traces`),
    serviceName: e.OTEL_SERVICE_NAME ?? defaultServiceName,
  };
}

/**
 * Starts the trace SDK when the environment names a collector; otherwise loads nothing (the
 * SDK modules are imported only then) and returns undefined: with tracing off a process pays
 * for the no-op `@opentelemetry/api` calls and nothing else.
 *
 * @throws ConfigError naming a malformed variable.
 */
export async function startTracingFromEnv(
  env: Record<string, string | undefined>,
  defaultServiceName: string,
): Promise<Tracing | undefined> {
  const s = tracingSettings(env, defaultServiceName);
  if (s.url === undefined) return undefined;
  const { startTracing } = await import('./sdk.ts');
  return startTracing({ serviceName: s.serviceName, url: s.url });
}
