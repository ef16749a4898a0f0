// Tracing helpers on `@opentelemetry/api` (no-op until an SDK is registered). The SDK itself is
// `core/telemetry/sdk.ts`, imported on its own so that a process with tracing off never loads it.

export type { TracingSettings } from './from-env.ts';
export { startTracingFromEnv, tracingEnvSchema, tracingSettings } from './from-env.ts';
export type { Tracing, TracingOptions } from './sdk.ts';
export type { TraceContext } from './trace-context.ts';
export {
  activeTraceContext,
  contextFromTrace,
  formatTraceContext,
  globalTracingOff,
  parseTraceContext,
  traceHeaderLimits,
  traceIdOf,
} from './trace-context.ts';
