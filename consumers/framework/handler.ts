import type { Logger } from 'pino';
import type { EventOf, EventType } from '../../schemas/index.ts';

/**
 * What a handler may return instead of throwing for control flow. Returning nothing means
 * {@link ack}. Either way the framework, never the handler, commits the offset.
 */
export type HandlerResult = { readonly kind: 'ack' } | { readonly kind: 'skip'; readonly reason: string };

/** The event was handled. */
export const ack: HandlerResult = Object.freeze({ kind: 'ack' });

/**
 * The event was deliberately not acted on (stale, irrelevant to this group…); counted with
 * its reason in `outstream_consumer_events_skipped_total`.
 *
 * @example
 * if (e.payload.hotelId !== hotelId) return skip('other hotel');
 */
export function skip(reason: string): HandlerResult {
  return Object.freeze({ kind: 'skip', reason });
}

/** What a handler gets beside the event. */
export interface HandlerContext {
  /** The consumer group. */
  readonly group: string;
  /** 1 on the first attempt, then 2, 3… on retries. */
  readonly attempt: number;
  /**
   * Fires when the consumer gives up waiting for this handler (shutdown or rebalance
   * deadline passed): stop early if you can, the event will be delivered again.
   */
  readonly signal: AbortSignal;
  /** A pino child logger carrying the event id, type, aggregate and trace context. */
  readonly logger: Logger;
}

/**
 * A handler of one event type: `event.payload` is typed by the event map, `event` carries
 * the envelope and the Kafka coordinates. Throw to fail (retried unless the error says
 * `retriable: false`); return {@link ack}, {@link skip} or nothing.
 */
export type Handler<K extends EventType> = (
  event: EventOf<K>,
  context: HandlerContext,
  // biome-ignore lint/suspicious/noConfusingVoidType: `async (e) => {}` returns Promise<void>, which must fit
) => Promise<void | HandlerResult>;

/** Handlers keyed by event type; a key that is not an event type of the catalogue does not compile. */
export type Handlers = { readonly [K in EventType]?: Handler<K> };
