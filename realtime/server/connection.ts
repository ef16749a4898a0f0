import type { ServerResponse } from 'node:http';
import type { ChannelKind } from '../channels.ts';
import { controlFrame } from './sse-frame.ts';

/** Why a gateway ends a stream (the `reason` of its `disconnect` event). */
export const DisconnectReason = {
  slowClient: 'slow-client',
  draining: 'draining',
  tokenExpired: 'token-expired',
  overloaded: 'overloaded',
} as const;
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

/** A live event held while a connection's resume gap is being sent. */
export interface PendingEvent {
  topic: string;
  partition: number;
  offset: bigint;
  frame: string;
}

/** What a connection was opened with. */
export interface ConnectionInit {
  res: ServerResponse;
  channels: readonly { channel: string; kind: ChannelKind }[];
  topics: readonly string[];
  subject: string | undefined;
  expiresAt: number | undefined;
  maxBufferBytes: number;
  slowClientMs: number;
  onClose: (connection: SseConnection, reason: DisconnectReason | 'client-closed') => void;
}

let nextId = 1;

/**
 * One open SSE stream. Writes go straight to the Node response (no web-stream layers): that
 * keeps the memory per connection close to a bare `node:http` server, and makes the bytes a
 * client has not read yet visible (`writableLength`), which is what the slow-client rule
 * bounds.
 */
export class SseConnection {
  readonly id = nextId++;
  readonly res: ServerResponse;
  readonly channels: ReadonlySet<string>;
  readonly topics: readonly string[];
  /** Identifies the topic set; connections with equal keys share position tokens. */
  readonly topicKey: string;
  readonly subject: string | undefined;
  readonly expiresAt: number | undefined;
  state: 'replaying' | 'live' | 'closed' = 'replaying';
  /** Live events dispatched while replaying; sent after the gap. */
  pending: PendingEvent[] = [];
  /**
   * Topic → per-partition offsets the client already has beyond this node's position (its
   * token came from a node further ahead). Live records below them are skipped. Usually unset.
   */
  floor: Map<string, bigint[]> | undefined;
  /** Dispatch counter of the last record handed to this connection (one delivery per record). */
  seen = 0;
  /** Position stamp and time of the last `id:` written (see the hub's checkpoints). */
  lastIdStamp = -1;
  lastIdAt = Date.now();
  /** Since when the client has had unsent bytes without catching up (undefined: it has none). */
  private behindSince: number | undefined;
  private readonly maxBufferBytes: number;
  private readonly slowClientMs: number;
  private readonly onClose: ConnectionInit['onClose'];

  constructor(init: ConnectionInit) {
    this.res = init.res;
    this.channels = new Set(init.channels.map((c) => c.channel));
    this.topics = init.topics;
    this.topicKey = init.topics.join(',');
    this.subject = init.subject;
    this.expiresAt = init.expiresAt;
    this.maxBufferBytes = init.maxBufferBytes;
    this.slowClientMs = init.slowClientMs;
    this.onClose = init.onClose;
    this.res.once('close', () => this.closed('client-closed'));
  }

  /**
   * Writes a frame. A client falls behind when bytes stay queued for it: it is dropped as a
   * slow client when the queue exceeds the bound, or when it has not emptied the queue for
   * `slowClientMs` (see {@link SseConnection.checkSlow}); it resumes from its last id when it
   * reconnects. Returns false once the connection closed.
   */
  write(frame: string): boolean {
    if (this.state === 'closed') return false;
    const flushed = this.res.write(frame);
    if (this.res.writableLength > this.maxBufferBytes) {
      this.end(
        DisconnectReason.slowClient,
        `more than ${this.maxBufferBytes} bytes unread: reconnect to resume`,
      );
      return false;
    }
    if (!flushed && this.behindSince === undefined) {
      this.behindSince = Date.now();
      this.res.once('drain', () => {
        this.behindSince = undefined;
      });
    }
    return true;
  }

  /** Drops the client if it has been behind for longer than allowed. */
  checkSlow(now: number): void {
    if (this.behindSince !== undefined && now - this.behindSince > this.slowClientMs) {
      this.end(DisconnectReason.slowClient, `not reading for ${this.slowClientMs} ms: reconnect to resume`);
    }
  }

  /** Writes a frame and waits until the socket accepts more (used for resume gaps). */
  async writeWithBackpressure(frame: string): Promise<boolean> {
    if (this.state === 'closed') return false;
    if (this.res.write(frame)) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
    return this.open;
  }

  /** False once the stream ended, from either side. */
  get open(): boolean {
    return this.state !== 'closed';
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
    this.onClose(this, reason);
  }
}
