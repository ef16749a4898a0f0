/** A JSON Reference object. */
export interface Ref {
  readonly $ref: string;
}

/**
 * A local reference to the document node at `path` (JSON Pointer, RFC 6901: `~` and `/`
 * escaped in each segment).
 *
 * @example
 * ref('channels', 'events.booking'); // { $ref: '#/channels/events.booking' }
 */
export function ref(...path: string[]): Ref {
  return { $ref: `#/${path.map((s) => s.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}` };
}

/** The Avro schema format AsyncAPI and `@asyncapi/avro-schema-parser` know. */
export const avroSchemaFormat = 'application/vnd.apache.avro;version=1.9.0';

/** Names used across the document's parts. */
export const names = {
  kafkaServer: 'local-kafka',
  gatewayServer: 'local-gateway',
  bearer: 'bearerToken',
  cookie: 'tokenCookie',
  query: 'tokenQuery',
  kafkaBinding: '0.5.0',
  httpBinding: '0.3.0',
} as const;
