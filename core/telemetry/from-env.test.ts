import { describe, expect, it } from 'vitest';
import { ErrorCode, isOutstreamError } from '../errors.ts';
import { startTracingFromEnv, tracingSettings } from './from-env.ts';

describe('tracingSettings', () => {
  it('is off without an OTLP endpoint', async () => {
    expect(tracingSettings({}, 'svc')).toEqual({ url: undefined, serviceName: 'svc' });
    expect(await startTracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, 'svc')).toBeUndefined();
  });

  it('sends spans to <endpoint>/v1/traces, or to the traces endpoint as given', () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, 'svc').url).toBe(
      'http://collector:4318/v1/traces',
    );
    const both = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
      OTEL_SERVICE_NAME: 'billing',
    };
    expect(tracingSettings(both, 'svc')).toEqual({
      url: 'https://traces.example/otlp',
      serviceName: 'billing',
    });
  });

  it('names a malformed endpoint', () => {
    let error: unknown;
    try {
      tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' }, 'svc');
    } catch (e) {
      error = e;
    }
    expect(isOutstreamError(error, ErrorCode.config)).toBe(true);
    expect((error as Error).message).toContain('OTEL_EXPORTER_OTLP_ENDPOINT');
  });
});
