import { describe, expect, it } from 'vitest';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import { loadGatewayConfig } from './config.ts';
import { gatewayDefaults } from './options.ts';

describe('gateway configuration', () => {
  it('has a default for every limit, and reads each from the environment', () => {
    const { options } = loadGatewayConfig({});
    expect(options).toMatchObject({
      maxConnectionsPerIp: gatewayDefaults.maxConnectionsPerIp,
      maxStreamMs: gatewayDefaults.maxStreamMs,
      tokenClockSkewMs: gatewayDefaults.tokenClockSkewMs,
      maxReplayRecords: gatewayDefaults.maxReplayRecords,
      maxReplayBytes: gatewayDefaults.maxReplayBytes,
      dedupeAggregates: gatewayDefaults.dedupeAggregates,
    });
    const set = loadGatewayConfig({
      SSE_MAX_CONNECTIONS_PER_IP: '7',
      SSE_MAX_STREAM_MS: '60000',
      SSE_TOKEN_CLOCK_SKEW_MS: '0',
      SSE_MAX_REPLAY_RECORDS: '1000',
      SSE_MAX_REPLAY_BYTES: '1048576',
      SSE_DEDUPE_AGGREGATES: '0',
    }).options;
    expect(set).toMatchObject({
      maxConnectionsPerIp: 7,
      maxStreamMs: 60_000,
      tokenClockSkewMs: 0,
      maxReplayRecords: 1_000,
      maxReplayBytes: 1_048_576,
      dedupeAggregates: 0,
    });
  });

  it('names every invalid limit', () => {
    let error: unknown;
    try {
      loadGatewayConfig({
        SSE_MAX_CONNECTIONS_PER_IP: '0',
        SSE_MAX_BUFFER_BYTES: '1024',
        SSE_MAX_STREAM_MS: 'soon',
      });
    } catch (e) {
      error = e;
    }
    expect(isOutstreamError(error, ErrorCode.config)).toBe(true);
    for (const name of ['SSE_MAX_CONNECTIONS_PER_IP', 'SSE_MAX_BUFFER_BYTES', 'SSE_MAX_STREAM_MS']) {
      expect((error as Error).message).toContain(name);
    }
  });
});
