/**
 * The realtime gateway: SSE fan-out of the event topics with per-channel auth, lossless resume
 * from Kafka and backpressure. See realtime/README.md.
 */

export type { Authenticator, AuthOptions, Grant, MintOptions } from './auth.ts';
export { createAuthenticator, mintToken } from './auth.ts';
export type { ParsedChannel } from './channel-request.ts';
export { grants, parseChannel, parseChannelList } from './channel-request.ts';
export type { GatewayEnvConfig } from './config.ts';
export { loadGatewayConfig } from './config.ts';
export { DisconnectReason } from './connection.ts';
export type { Gateway } from './gateway.ts';
export { startGateway } from './gateway.ts';
export type { GatewayMetrics } from './metrics.ts';
export type { GatewayOptions, GatewayTunables } from './options.ts';
export { devSecret, gatewayDefaults } from './options.ts';
export type { Position } from './position.ts';
export { decodePosition, encodePosition } from './position.ts';
export { ResetReason } from './position-check.ts';
export type { Delivery, RoutedRecord, Router } from './router.ts';
export { createRouter } from './router.ts';
