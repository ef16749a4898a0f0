import type { ServerResponse } from 'node:http';
import type { ChannelKind } from '../channels.ts';
import type { LastSequences } from './last-sequences.ts';
import { controlFrame } from './sse-frame.ts';

/** Why a gateway ends a stream (the `reason` of its `disconnect` event). */
export const DisconnectReason = {
  slowClient: 'slow-client',
  draining: 'draining',
  /** The token's `exp` passed: reconnect with a fresh token. */
  tokenExpired: 'token-expired',
  /** The stream reached the node's maximum lifetime: reconnect (with a fresh token) and resume. */
  maxLifetime: 'max-lifetime',
  overloaded: 'overloaded',
} as const;
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

/** A live event held while a connection's gap is being sent. */
export interface PendingEvent {
  topic: string;
  partition: number;
  offset: bigint;
  /** `aggregateType:aggregateId` and sequence, when the record has them. */
  aggregate: string | undefined;
  sequence: number | undefined;
  frame: string;
}

/** What a connection was opened with. */
export interface ConnectionInit {
  res: ServerResponse;
  /** The client's address (the per-address connection limit counts by it). */
  ip: string;
  channels: readonly { channel: string; kind: ChannelKind }[];
  topics: readonly string[];
  subject: string | undefined;
  /** Channels on which the token's `presence` claim lets it count as a member and see members. */
  presenceChannels?: readonly string[];
  /** When the stream ends, and the reason it gives then (token expiry or maximum lifetime). */
  expiry: { at: number; reason: DisconnectReason };
  maxBufferBytes: number;
  slowClientMs: number;
  /** The socket drained after the node stopped writing to a lagging connection: catch it up. */
  onCatchUp: (connection: SseConnection) => void;
  onClose: (connection: SseConnection, reason: DisconnectReason | 'client-closed') => void;
}

let nextId = 1;

/**
 * One open SSE stream. Writes go straight to the Node response (no web-stream layers): that
 * keeps the memory per connection close to a bare `node:http` server, and makes the bytes a
 * client has not read yet visible (`writableLength`).
 *
 * Live writes stop at `maxBufferBytes` unsent: the connection turns `lagging`, remembering the
 * position before the first record it did not get, and once the socket drains it catches up
 * from there like a resume. A burst the node produced (a catch-up after a broker restart) so
 * costs a fast client nothing; a client is dropped as slow only when its socket has not
 * drained for `slowClientMs`.
 */
export class SseConnection {
  readonly id = nextId++;
  readonly res: ServerResponse;
  readonly ip: string;
  readonly channels: ReadonlySet<string>;
  readonly topics: readonly string[];
  /** Identifies the topic set; connections with equal keys share position tokens. */
  readonly topicKey: string;
  readonly subject: string | undefined;
  /** Channels where the stream is a presence member (and gets presence events). */
  readonly presenceChannels: ReadonlySet<string>;
  readonly expiry: { at: number; reason: DisconnectReason };
  state: 'replaying' | 'live' | 'lagging' | 'closed' = 'replaying';
  /** Live events dispatched while replaying; sent after the gap. */
  pending: PendingEvent[] = [];
  /**
   * Topic → per-partition offsets the client already has beyond this node's position (its
   * token came from a node further ahead). Live records below them are skipped. Usually unset.
   */
  floor: Map<string, bigint[]> | undefined;
  /** While lagging: the position to catch up from (the first record the client did not get). */
  lagFrom: Map<string, bigint[]> | undefined;
  /**
   * While a gap read from Kafka is sent and until the held live events follow it: the last
   * sequence per aggregate this stream was given, so no event reaches it twice.
   */
  gapSequences: LastSequences | undefined;
  /** The position the current gap ends at (P0): where the held live events start. */
  gapEnd: Map<string, bigint[]> | undefined;
  /** Dispatch counter of the last record handed to this connection (one delivery per record). */
  seen = 0;
  /** Position stamp and time of the last `id:` written (see the hub's checkpoints). */
  lastIdStamp = -1;
  lastIdAt = Date.now();
  /** Since when the socket has had bytes it could not take without draining (undefined: none). */
  private behindSince: number | undefined;
  private readonly closedController = new AbortController();
  private readonly maxBufferBytes: number;
  private readonly slowClientMs: number;
  private readonly onCatchUp: ConnectionInit['onCatchUp'];
  private readonly onClose: ConnectionInit['onClose'];

  constructor(init: ConnectionInit) {
    this.res = init.res;
    this.ip = init.ip;
    this.channels = new Set(init.channels.map((c) => c.channel));
    this.topics = init.topics;
    this.topicKey = init.topics.join(',');
    this.subject = init.subject;
    this.presenceChannels = new Set(init.presenceChannels ?? []);
    this.expiry = init.expiry;
    this.maxBufferBytes = init.maxBufferBytes;
    this.slowClientMs = init.slowClientMs;
    this.onCatchUp = init.onCatchUp;
    this.onClose = init.onClose;
    this.res.once('close', () => this.closed('client-closed'));
  }
  /**
   * True if a delivery is for this stream: one of its channels, and for presence events a
   * channel where its token grants presence.
   */
  receives(d: { channel: string; presence?: boolean }): boolean {
    return this.channels.has(d.channel) && (!d.presence || this.presenceChannels.has(d.channel));
  }

  /** Aborted once the stream ended, from either side: reads done for it stop. */
  get signal(): AbortSignal {
    return this.closedController.signal;
  }

  /** False once the stream ended, from either side. */
  get open(): boolean {
    return this.state !== 'closed';
  }

  /** Writes a frame whatever is queued (control frames, heartbeats). False once closed. */
  write(frame: string): boolean {
    if (this.state === 'closed') return false;
    if (!this.res.write(frame) && this.behindSince === undefined) {
      this.behindSince = Date.now();
      this.res.once('drain', () => {
        this.behindSince = undefined;
      });
    }
    return true;
  }

  /**
   * Writes a live event unless `maxBufferBytes` would be exceeded; then the connection lags
   * from `before()` (the position without this event) and is caught up once its socket
   * drains. False when the frame was not written.
   */
  writeLive(frame: string, before: () => Map<string, bigint[]>): boolean {
    if (this.state === 'closed' || this.state === 'lagging') return false;
    if (this.res.writableLength > 0 && this.res.writableLength + frame.length > this.maxBufferBytes) {
      this.lag(before());
      return false;
    }
    return this.write(frame);
  }

  /** Stops live writes; the connection catches up from `position` once the socket drains. */
  lag(position: Map<string, bigint[]>): void {
    if (this.state === 'closed' || this.state === 'lagging') return;
    this.state = 'lagging';
    this.lagFrom = position;
    this.pending = [];
    const caughtUp = () => {
      if (this.state === 'lagging') this.onCatchUp(this);
    };
    if (this.res.writableNeedDrain) this.res.once('drain', caughtUp);
    else setImmediate(caughtUp);
  }

  /** Drops the client if its socket has not drained for longer than allowed. */
  checkSlow(now: number): void {
    if (this.behindSince !== undefined && now - this.behindSince > this.slowClientMs) {
      this.end(DisconnectReason.slowClient, `not reading for ${this.slowClientMs} ms: reconnect to resume`);
    }
  }

  /**
   * Writes a frame and waits until the socket takes more (gaps). A socket that does not drain
   * within `slowClientMs` ends the stream as a slow client. False once closed.
   */
  async writeWithBackpressure(frame: string): Promise<boolean> {
    if (this.state === 'closed') return false;
    if (this.res.write(frame)) return true;
    const drained = await new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.res.off('drain', onDrain);
        this.res.off('close', onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), this.slowClientMs);
      this.res.on('drain', onDrain);
      this.res.on('close', onClose);
    });
    if (!drained && this.open) {
      this.end(DisconnectReason.slowClient, `not reading for ${this.slowClientMs} ms: reconnect to resume`);
    }
    return this.open;
  }

  /** Ends the stream with a `disconnect` event saying why; the client may reconnect and resume. */
  end(reason: DisconnectReason, message: string): void {
    if (this.state === 'closed') return;
    this.res.end(controlFrame('disconnect', { reason, message }));
    // A client that does not read never lets end() flush: cut it after a grace period.
    const socket = this.res.socket;
    if (socket && !socket.destroyed) setTimeout(() => socket.destroy(), 5_000).unref();
    this.closed(reason);
  }

  private closed(reason: DisconnectReason | 'client-closed'): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.pending = [];
    this.gapSequences = undefined;
    this.lagFrom = undefined;
    this.closedController.abort();
    this.onClose(this, reason);
  }
}
