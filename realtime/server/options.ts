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
  /** Open streams per node; more are refused with 503 and Retry-After (and `/health` says `full`). */
  maxConnections: number;
  /**
   * Open streams per client address; more are refused with 429. Behind a proxy every client
   * has the proxy's address: raise it to `maxConnections` there and limit at the proxy.
   */
  maxConnectionsPerIp: number;
  /**
   * Longest life of one stream (ms), whatever the token's `exp`: it then ends with
   * `disconnect {reason: max-lifetime}` and the client reconnects (with a fresh token) and
   * resumes. Each stream gets 90–100 % of it, so streams opened together do not end together.
   */
  maxStreamMs: number;
  /** Channels per connection. */
  maxChannels: number;
  /**
   * Bytes a connection may have queued but unsent. Beyond them the node stops writing to it
   * and remembers where it stopped; once the socket drains, the connection catches up from
   * there (memory or Kafka), so a burst the node itself produced never drops a client.
   */
  maxBufferBytes: number;
  /** A connection whose socket has not drained for this long (ms) is dropped as a slow client. */
  slowClientMs: number;
  /** Live events held per connection while its resume gap is being read. */
  maxPendingEvents: number;
  /** How old a resume token may be (ms); older ones get a `reset` event. */
  resumeWindowMs: number;
  /** How far in the future a token's issue time may lie (ms, nodes' clock skew); beyond: `reset`. */
  tokenClockSkewMs: number;
  /**
   * Most records one resume may replay (counted by offsets, before reading); a larger gap gets
   * a `reset` event. Kafka reads of concurrent resumes share passes of at most this many.
   */
  maxReplayRecords: number;
  /** Most bytes (keys, values, headers) one pass of the gap reader may read; beyond: `reset`. */
  maxReplayBytes: number;
  /**
   * Aggregates whose last delivered sequence the node remembers, to drop records Debezium
   * published twice (at least once: a Connect crash republishes recent records).
   */
  dedupeAggregates: number;
  /** Recent records a node keeps in memory to serve resumes without reading Kafka. */
  recentBufferRecords: number;
  /** On SIGTERM/close, streams are ended over this period (ms) so clients reconnect spread out. */
  drainMs: number;
  /** Cookie that may carry the token. */
  cookieName: string;
  /** Serve the demo page at /demo. */
  demo: boolean;
  /** Largest body of `POST /v1/publish` (bytes); larger ones get 400. */
  publishMaxBytes: number;
  /** Publishes per second one token subject may make on this node; more get 429. */
  publishRate: number;
  /** Presence reads per second one token subject (else one address) may make on this node; more get 429. */
  presenceRate: number;
  /**
   * Lifetime of a node's presence heartbeat in Redis (ms), refreshed every third of it: after
   * a node dies, its members drop out of presence within this time, and their `left` events
   * follow within a further third.
   */
  presenceTtlMs: number;
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
  /** Redis shared by every node for presence; unset: presence is off. */
  redisUrl?: string;
  /** Publish ephemeral events (`POST /v1/publish`, presence events); default true. */
  publish?: boolean;
}

/** Defaults of the tunables. */
export const gatewayDefaults: GatewayTunables = {
  host: '127.0.0.1',
  corsOrigins: [],
  heartbeatMs: 15_000,
  retryMs: 2_000,
  maxConnections: 10_000,
  maxConnectionsPerIp: 100,
  maxStreamMs: 60 * 60_000,
  maxChannels: 50,
  maxBufferBytes: 1024 * 1024,
  slowClientMs: 10_000,
  maxPendingEvents: 10_000,
  resumeWindowMs: 15 * 60_000,
  tokenClockSkewMs: 30_000,
  maxReplayRecords: 50_000,
  maxReplayBytes: 64 * 1024 * 1024,
  dedupeAggregates: 100_000,
  recentBufferRecords: 20_000,
  drainMs: 5_000,
  cookieName: 'outstream_token',
  demo: true,
  publishMaxBytes: 8 * 1024,
  publishRate: 20,
  presenceRate: 10,
  presenceTtlMs: 10_000,
};

/**
 * The HS256 secret used when none is configured. DEVELOPMENT ONLY: anyone can mint tokens with
 * it; the gateway logs a warning when it is in use.
 */
export const devSecret = 'outstream-dev-secret-not-for-production';
