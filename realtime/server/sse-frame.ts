/**
 * SSE wire frames (pure). Every frame ends with a blank line; `data:` is one line of JSON, so
 * it never needs splitting.
 */

/** An event frame: `id:` (resume token), `event:` (type), `data:` (JSON). */
export function eventFrame(id: string, type: string, data: string): string {
  return `id: ${id}\nevent: ${type}\ndata: ${data}\n\n`;
}

/**
 * A checkpoint: moves the client's `Last-Event-ID` to the current position without an event of
 * interest, so a quiet client resumes from near now. A named event (not a bare `id:` block)
 * because some EventSource implementations ignore ids on frames without data.
 */
export function checkpointFrame(id: string): string {
  return `id: ${id}\nevent: checkpoint\ndata:\n\n`;
}

/** A control event (`reset`, `disconnect`, `token-expired`), optionally moving the position. */
export function controlFrame(type: string, body: Record<string, unknown>, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${type}\ndata: ${JSON.stringify(body)}\n\n`;
}

/** A heartbeat comment. */
export const heartbeatFrame = ':\n\n';

/** The reconnection delay hint. */
export function retryFrame(ms: number): string {
  return `retry: ${Math.round(ms)}\n\n`;
}
