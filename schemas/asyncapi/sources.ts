import { envelopeHeaders } from '../../connect/outbox-connector.ts';
import { localPorts, localUrls } from '../../core/config.ts';
import { catalogueSchemas } from '../../infra/schemas/governance.ts';
import { declaredTopics } from '../../infra/topics/topics.ts';
import packageJson from '../../package.json' with { type: 'json' };
import { channelKinds } from '../../realtime/channels.ts';
import { DisconnectReason } from '../../realtime/server/connection.ts';
import { gatewayDefaults } from '../../realtime/server/options.ts';
import { ResetReason } from '../../realtime/server/position-check.ts';
import { compileRoutes, createRouter } from '../../realtime/server/router.ts';
import { aggregateTypes, catalogue, ephemeralAggregateTypes, eventTypes } from '../catalogue.ts';
import { samples } from '../samples.ts';
import { frame } from '../wire-format.ts';
import type { AsyncApiInputs, ExampleEnvelope } from './inputs.ts';

/** The envelope of the document's examples: illustrative values, fixed so the document is stable. */
export const exampleEnvelope: ExampleEnvelope = Object.freeze({
  id: '0193a5b2-7d4e-7c01-8a2b-3c4d5e6f7081',
  sequence: 3,
  occurredAt: new Date('2025-06-02T09:14:03.120Z'),
  actor: 'user:0193a4f0-9d8c-7b6a-8f50-4e3d2c1b0a99',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
});

/**
 * The document's inputs, read from the repository's sources of truth: the catalogue and its Avro
 * schemas, `infra/topics` (with the defaults `npm run setup` applies), the subjects' compatibility
 * levels, the connector's envelope headers, `core/config.ts`'s local ports, and the realtime
 * gateway's route table, router and defaults. Imports only: no I/O, no Kafka client.
 */
export function repoSources(): AsyncApiInputs {
  const router = createRouter();
  return {
    version: packageJson.version,
    catalogue: eventTypes.map((t) => catalogue[t]),
    compatibility: Object.fromEntries(catalogueSchemas().map((s) => [s.subject, String(s.compatibility)])),
    topics: declaredTopics(aggregateTypes, {}, ephemeralAggregateTypes),
    headers: envelopeHeaders,
    frame,
    kafka: { host: localUrls.KAFKA_BROKERS, registryUrl: localUrls.SCHEMA_REGISTRY_URL },
    sse: {
      host: `127.0.0.1:${localPorts.sse}`,
      // The route `realtime/server/app.ts` serves the stream on.
      path: '/v1/stream',
      channelKinds,
      routes: compileRoutes(),
      deliveries: (event) => router.route(event),
      // `realtime/server/auth.ts`'s default claim (SSE_JWT_CLAIM changes it).
      claim: 'subscribe',
      cookieName: gatewayDefaults.cookieName,
      maxChannels: gatewayDefaults.maxChannels,
      heartbeatMs: gatewayDefaults.heartbeatMs,
      resetReasons: Object.values(ResetReason),
      disconnectReasons: Object.values(DisconnectReason),
    },
    samples,
    example: exampleEnvelope,
  };
}
