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

/**
 * The `debounce` option of a handler: wait until a key has been quiet for `quietMs`, then run
 * the handler once with the key's last event — but never later than `maxWaitMs` after the
 * first event the run stands for, so a key that is never quiet still runs.
 */
export interface DebounceOptions {
  /** How long a key must have no new event of this type before its run starts. */
  readonly quietMs: number;
  /** The longest an event is held: from the first event of a window to its run (≥ `quietMs`). */
  readonly maxWaitMs: number;
}

/** The events a debounced run stands for: the handler gets the last, this tells the rest. */
export interface Coalesced {
  /** Events of the key this run stands for, the last one (the one handled) included; ≥ 1. */
  readonly count: number;
  /** Partition offset of the first event of the window. */
  readonly firstOffset: bigint;
  /** Partition offset of the last event: the one handled (`event.kafka.offset`). */
  readonly lastOffset: bigint;
  /** Aggregate sequence of the first event (from its envelope header), if it had one. */
  readonly firstSequence: number | undefined;
  /** How long the first event was held before this run started (0 when not held). */
  readonly heldMs: number;
}

/** The context of a debounced handler: a {@link HandlerContext} plus what the run stands for. */
export interface DebouncedContext extends HandlerContext {
  readonly coalesced: Coalesced;
}

/** A debounced handler: called once per window with the key's last event. */
export type DebouncedHandler<K extends EventType> = (
  event: EventOf<K>,
  context: DebouncedContext,
  // biome-ignore lint/suspicious/noConfusingVoidType: as Handler
) => Promise<void | HandlerResult>;

/**
 * A handler with options, where a bare function is not enough. `debounce` coalesces a burst
 * of this event type per aggregate into one run with the last event (see README, "Debounce").
 *
 * @example
 * 'room.status_changed': {
 *   debounce: { quietMs: 1_000, maxWaitMs: 10_000 },
 *   handle: async (e, { coalesced }) => reindex(e.payload.roomId, coalesced.count),
 * },
 */
export interface HandlerDefinition<K extends EventType> {
  readonly debounce: DebounceOptions;
  readonly handle: DebouncedHandler<K>;
}

/**
 * Handlers keyed by event type: a function, or a {@link HandlerDefinition} with options. A key
 * that is not an event type of the catalogue does not compile.
 */
export type Handlers = { readonly [K in EventType]?: Handler<K> | HandlerDefinition<K> };
