import type { SseConnection } from './connection.ts';

/** The open connections, and who listens on each channel (the hub's fan-out lookup). */
export class ConnectionIndex {
  private readonly all = new Set<SseConnection>();
  private readonly byChannel = new Map<string, Set<SseConnection>>();

  add(conn: SseConnection): void {
    this.all.add(conn);
    for (const ch of conn.channels) {
      let set = this.byChannel.get(ch);
      if (!set) {
        set = new Set();
        this.byChannel.set(ch, set);
      }
      set.add(conn);
    }
  }

  /** Removes a connection; false if it was not there. A channel nobody listens on is forgotten. */
  delete(conn: SseConnection): boolean {
    if (!this.all.delete(conn)) return false;
    for (const ch of conn.channels) {
      const set = this.byChannel.get(ch);
      set?.delete(conn);
      if (set?.size === 0) this.byChannel.delete(ch);
    }
    return true;
  }

  /** The connections listening on `channel`, if any. */
  on(channel: string): ReadonlySet<SseConnection> | undefined {
    return this.byChannel.get(channel);
  }

  get size(): number {
    return this.all.size;
  }

  [Symbol.iterator](): Iterator<SseConnection> {
    return this.all[Symbol.iterator]();
  }
}
