import type { Logger } from 'pino';
import type { KafkaOptions } from '../../core/kafka/index.ts';
import type { AuthOptions } from './auth.ts';

/** Tunables of a gateway node; every one has a default in {@link gatewayDefaults}. */
export interface GatewayTunables {
  /** Interface to listen on (default 127.0.0.1; 0.0.0.0 in a container). */
  host: string;
  /** Origins allowed by CORS; `*` allows any (without credentials). Default: none (same origin). */
  corsOrigins: readonly string[];
  /** Heartbeat comment interval (ms). */
  heartbeatMs: number;
  /** `retry:` hint sent to clients (ms); each connection gets ±50 % jitter so storms spread. */
  retryMs: number;
  /** Open streams per node; more are refused with 503 and Retry-After. */
  maxConnections: number;
  /** Channels per connection. */
  maxChannels: number;
  /** Bytes a connection may have queued but unsent; beyond them it is dropped as a slow client. */
  maxBufferBytes: number;
  /** A connection whose queue has not emptied for this long (ms) is dropped as a slow client. */
  slowClientMs: number;
  /** Live events held per connection while its resume gap is being read. */
  maxPendingEvents: number;
  /** How old a resume token may be (ms); older ones get a `reset` event. */
  resumeWindowMs: number;
  /** Most records one resume may read from Kafka; a larger gap gets a `reset` event. */
  maxReplayRecords: number;
  /** Recent records a node keeps in memory to serve resumes without reading Kafka. */
  recentBufferRecords: number;
  /** On SIGTERM/close, streams are ended over this period (ms) so clients reconnect spread out. */
  drainMs: number;
  /** Cookie that may carry the token. */
  cookieName: string;
  /** Serve the demo page at /demo. */
  demo: boolean;
}

/** Everything {@link startGateway} needs. */
export interface GatewayOptions extends Partial<GatewayTunables> {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  kafka: KafkaOptions;
  registryUrl: string;
  auth: AuthOptions;
  /** pino logger; default: a silent one. */
  logger?: Logger;
}

/** Defaults of the tunables. */
export const gatewayDefaults: GatewayTunables = {
  host: '127.0.0.1',
  corsOrigins: [],
  heartbeatMs: 15_000,
  retryMs: 2_000,
  maxConnections: 10_000,
  maxChannels: 50,
  maxBufferBytes: 1024 * 1024,
  slowClientMs: 10_000,
  maxPendingEvents: 10_000,
  resumeWindowMs: 15 * 60_000,
  maxReplayRecords: 200_000,
  recentBufferRecords: 20_000,
  drainMs: 5_000,
  cookieName: 'outstream_token',
  demo: true,
};

/**
 * The HS256 secret used when none is configured. DEVELOPMENT ONLY: anyone can mint tokens with
 * it; the gateway logs a warning when it is in use.
 */
export const devSecret = 'outstream-dev-secret-not-for-production';
