import type { TopicSpec } from '../../infra/topics/topics.ts';
import type { CatalogueEntry } from '../catalogue.ts';
import type { AnyEvent } from '../event.ts';
import type { Events, EventType } from '../generated/events.ts';
import type { EnvelopeHeaderNames } from './envelope-headers.ts';

/** One route of an event type to a channel kind, as the gateway compiles it. */
export interface SseRoute {
  kind: string;
  /** Payload field whose value (or each element of it) names the channel. */
  field: string;
  /** The projection: what the channel sees of the payload. */
  project: (payload: never) => object;
}

/** What the document says about the SSE gateway. */
export interface SseInputs {
  /** Host and port of the local gateway. */
  host: string;
  /** Path of the stream endpoint. */
  path: string;
  /** Channel kinds (`hotel`, `booking`, `user`). */
  channelKinds: readonly string[];
  /** The compiled route table: every event type's routes, most revealing first. */
  routes: { readonly [K in EventType]: readonly SseRoute[] };
  /** The gateway's router: the channel deliveries (and their `data:` JSON) of one event. */
  deliveries(event: AnyEvent): readonly { channel: string; data: string }[];
  /** JWT claim listing the channel patterns a token grants. */
  claim: string;
  /** Cookie that may carry the token. */
  cookieName: string;
  /** Most channels per stream. */
  maxChannels: number;
  /** Heartbeat interval (ms). */
  heartbeatMs: number;
  /** Reasons of a `reset` event. */
  resetReasons: readonly string[];
  /** Reasons of a `disconnect` event. */
  disconnectReasons: readonly string[];
}

/** The envelope the examples use (illustrative values). */
export interface ExampleEnvelope {
  id: string;
  sequence: number;
  occurredAt: Date;
  actor: string;
  traceparent: string;
}

/**
 * Everything the AsyncAPI document is generated from, gathered from the repository's sources of
 * truth by `sources.ts` (and passed in, so that the generator is a pure function of them).
 */
export interface AsyncApiInputs {
  /** Version of the contract (the package's). */
  version: string;
  /** Every event type's catalogue entry, in catalogue order. */
  catalogue: readonly CatalogueEntry[];
  /** Compatibility level of each registry subject (`infra/schemas/governance.ts`). */
  compatibility: Readonly<Record<string, string>>;
  /** The topics as `infra/topics` declares them. */
  topics: readonly TopicSpec[];
  /** Kafka header name of each envelope field. */
  headers: EnvelopeHeaderNames;
  /** The Confluent framing of `body` under schema `id` (`schemas/wire-format.ts`). */
  frame(id: number, body: Uint8Array): Uint8Array;
  kafka: {
    /** Bootstrap address of the local broker. */
    host: string;
    /** Confluent-compatible API of the local schema registry. */
    registryUrl: string;
  };
  sse: SseInputs;
  /** One valid payload per event type, for the examples. */
  samples: { readonly [K in EventType]: Events[K] };
  example: ExampleEnvelope;
}
