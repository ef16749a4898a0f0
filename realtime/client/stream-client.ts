import type { EventType } from '../../schemas/index.ts';
import type { PublicPayload, Wire } from '../channels.ts';
import { eventTypeNames } from './event-types.ts';
import { SequenceTracker } from './sequence-tracker.ts';

/** One event as a client receives it: the envelope and the channel's view of the payload. */
export interface StreamEvent<K extends EventType = EventType> {
  /** Event id (UUIDv7); the same on every channel and every retry. */
  id: string;
  type: K;
  /** The channel whose view this is. */
  channel: string;
  aggregateType: string;
  aggregateId: string;
  /** Per-aggregate sequence: 1, 2, 3… */
  sequence: number;
  /** ISO-8601. */
  occurredAt: string;
  actor: string | null;
  /**
   * The OpenTelemetry trace id (32 hex) of the emit, null when the event carries no trace
   * context: report it (e.g. with an error) to find the event's trace from emit to handlers.
   */
  traceId: string | null;
  payload: Wire<PublicPayload<K>>;
  /** The resume token (SSE `id:`) after this event. */
  position: string;
}

/** Any event, narrowable on `type`. */
export type AnyStreamEvent = { [K in EventType]: StreamEvent<K> }[EventType];

/** A `reset`: the gap since the last position could not be served; refetch state. */
export interface ResetInfo {
  reason: string;
  message: string;
}

/** A `disconnect` from the gateway (slow client, draining, token expired…); the client resumes. */
export interface DisconnectInfo {
  reason: string;
  message: string;
}

/** A sequence jump on one aggregate (events the client's channels did not carry, or lost). */
export interface GapInfo {
  aggregate: string;
  expected: number;
  got: number;
}

/** Connection states reported to {@link StreamClient.onStatus}. */
export type StreamStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The part of a message event the client reads. */
export interface MessageEventLike {
  data: string;
  lastEventId: string;
}

/** The part of the standard `EventSource` the client uses (a polyfill fits too). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: never) => unknown) | null;
  onerror: ((event: never) => unknown) | null;
  addEventListener(type: string, listener: (event: MessageEventLike) => unknown): void;
  close(): void;
}

/** An `EventSource` constructor. */
export type EventSourceConstructor = new (
  url: string,
  init?: { withCredentials?: boolean },
) => EventSourceLike;

/** Options of {@link createStreamClient}. */
export interface StreamClientOptions {
  /** Gateway base URL, e.g. `https://rt.example.com` (the stream is at `/v1/stream`). */
  url: string;
  channels: readonly string[];
  /**
   * The JWT, or a function returning a fresh one (called on every connect, so an expired
   * token is replaced). Sent as `?token=` (EventSource cannot set headers); leave it out to
   * rely on the gateway's cookie.
   */
  token?: string | (() => string | Promise<string>);
  /** Resume from this position (e.g. kept in storage across page loads). */
  lastEventId?: string;
  /** Send cookies cross-origin (`withCredentials`). */
  withCredentials?: boolean;
  /** The EventSource to use; default `globalThis.EventSource` (pass a polyfill in Node). */
  EventSource?: EventSourceConstructor;
  /** Backoff of reconnects the client makes itself (after a refused or fatal connect). */
  backoff?: { initialMs?: number; maxMs?: number };
}

const CLOSED = 2;

/**
 * A typed realtime client over the standard EventSource: handlers are typed from the event map
 * and the route table (`e.payload` is the channel's projection), sequences are tracked per
 * aggregate across every reconnect, resume and reset of the client (an event whose sequence
 * was already seen is dropped, never passed twice; jumps are reported), `reset` is surfaced,
 * and it reconnects with its last position after anything EventSource gives up on (HTTP
 * errors, expired tokens, the gateway's maximum stream lifetime).
 *
 * @example
 * const stream = createStreamClient({ url: 'http://127.0.0.1:18090', channels: ['hotel:1'], token });
 * stream.on('booking.confirmed', (e) => console.log(e.payload.reference, e.sequence));
 * stream.onReset(() => refetchBoard());
 */
export function createStreamClient(options: StreamClientOptions) {
  const Source = options.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
  if (!Source)
    throw new Error('no EventSource: pass options.EventSource (e.g. the eventsource package in Node)');
  const ES: EventSourceConstructor = Source;
  const handlers = new Map<string, Set<(e: AnyStreamEvent) => void>>();
  const anyHandlers = new Set<(e: AnyStreamEvent) => void>();
  const resetHandlers = new Set<(r: ResetInfo) => void>();
  const disconnectHandlers = new Set<(d: DisconnectInfo) => void>();
  const gapHandlers = new Set<(g: GapInfo) => void>();
  const statusHandlers = new Set<(s: StreamStatus) => void>();
  const sequences = new SequenceTracker();
  const initialMs = options.backoff?.initialMs ?? 500;
  const maxMs = options.backoff?.maxMs ?? 30_000;
  let lastEventId = options.lastEventId;
  let source: EventSourceLike | undefined;
  let closed = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let duplicates = 0;

  const status = (s: StreamStatus) => {
    for (const h of statusHandlers) h(s);
  };

  const track = (e: MessageEventLike) => {
    if (e.lastEventId) lastEventId = e.lastEventId;
  };

  function onEvent(e: MessageEventLike): void {
    track(e);
    const event = { ...(JSON.parse(e.data) as Omit<AnyStreamEvent, 'position'>), position: e.lastEventId };
    // Ephemeral events (typing, receipts, presence) carry sequence 0: nothing to track.
    const verdict =
      event.sequence === 0
        ? ({ kind: 'next' } as const)
        : sequences.see(`${event.aggregateType}:${event.aggregateId}`, event.sequence);
    if (verdict.kind === 'duplicate') {
      duplicates++;
      return;
    }
    if (verdict.kind === 'gap') {
      for (const h of gapHandlers)
        h({ aggregate: `${event.aggregateType}:${event.aggregateId}`, ...verdict });
    }
    const typed = event as AnyStreamEvent;
    for (const h of handlers.get(typed.type) ?? []) h(typed);
    for (const h of anyHandlers) h(typed);
  }

  async function connect(): Promise<void> {
    if (closed) return;
    status(attempt === 0 ? 'connecting' : 'reconnecting');
    const url = new URL('/v1/stream', options.url);
    url.searchParams.set('channels', options.channels.join(','));
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    if (token) url.searchParams.set('token', token);
    // A new EventSource starts without Last-Event-ID: carry the position in the query. On its
    // own reconnects the header (newer) takes precedence at the gateway.
    if (lastEventId) url.searchParams.set('lastEventId', lastEventId);
    if (closed) return;
    const es = new ES(url.toString(), { withCredentials: options.withCredentials ?? false });
    source = es;
    es.onopen = () => {
      attempt = 0;
      status('open');
    };
    es.onerror = () => {
      if (source !== es || closed) return;
      if (es.readyState === CLOSED) reopen(true);
      else status('reconnecting');
    };
    for (const type of eventTypeNames) es.addEventListener(type, onEvent);
    es.addEventListener('checkpoint', track);
    es.addEventListener('reset', (e) => {
      track(e);
      // The client refetches its state; what it saw still counts, so a repeat stays a duplicate.
      sequences.rebase();
      const info = JSON.parse(e.data) as ResetInfo;
      for (const h of resetHandlers) h(info);
    });
    es.addEventListener('disconnect', (e) => {
      const info = JSON.parse(e.data) as DisconnectInfo;
      for (const h of disconnectHandlers) h(info);
      // The EventSource reconnects by itself, but with the token in its URL: the gateway ended
      // the stream for its token's (or the stream's) age, so reconnect with a fresh one.
      if (info.reason === 'token-expired' || info.reason === 'max-lifetime') reopen(false);
    });
  }

  function reopen(backoff: boolean): void {
    source?.close();
    source = undefined;
    if (closed) return;
    attempt++;
    const delay = backoff
      ? Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 16)) * (0.5 + Math.random())
      : 0;
    status('reconnecting');
    clearTimeout(timer);
    timer = setTimeout(() => void connect(), delay);
  }

  void connect();

  return {
    /** Calls `handler` for every event of `type`; returns an unsubscribe function. */
    on<K extends EventType>(type: K, handler: (event: StreamEvent<K>) => void): () => void {
      let set = handlers.get(type);
      if (!set) {
        set = new Set();
        handlers.set(type, set);
      }
      const h = handler as unknown as (e: AnyStreamEvent) => void;
      set.add(h);
      return () => set.delete(h);
    },
    /** Calls `handler` for every event; narrow on `event.type`. */
    onAny(handler: (event: AnyStreamEvent) => void): () => void {
      anyHandlers.add(handler);
      return () => anyHandlers.delete(handler);
    },
    /** The gateway could not serve the gap since the last position: refetch state. */
    onReset(handler: (info: ResetInfo) => void): () => void {
      resetHandlers.add(handler);
      return () => resetHandlers.delete(handler);
    },
    /** The gateway ended the stream (the client reconnects and resumes by itself). */
    onDisconnect(handler: (info: DisconnectInfo) => void): () => void {
      disconnectHandlers.add(handler);
      return () => disconnectHandlers.delete(handler);
    },
    /** A sequence jump on an aggregate. */
    onGap(handler: (gap: GapInfo) => void): () => void {
      gapHandlers.add(handler);
      return () => gapHandlers.delete(handler);
    },
    onStatus(handler: (status: StreamStatus) => void): () => void {
      statusHandlers.add(handler);
      return () => statusHandlers.delete(handler);
    },
    /** The position to resume from (store it to resume across page loads). */
    get lastEventId(): string | undefined {
      return lastEventId;
    },
    /** Events dropped because their sequence was already seen. */
    get duplicates(): number {
      return duplicates;
    },
    close(): void {
      closed = true;
      clearTimeout(timer);
      source?.close();
      source = undefined;
      status('closed');
    },
  };
}

/** The client {@link createStreamClient} returns. */
export type StreamClient = ReturnType<typeof createStreamClient>;
