import http from 'node:http';
import { waitFor } from '../core/wait.ts';

/** One SSE frame as a client parses it (comments are counted, not kept). */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
}

/** What {@link openSse} returns. */
export interface SseReader {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body of a non-200 answer, parsed as JSON when it is JSON. */
  body: unknown;
  frames: SseFrame[];
  comments: number;
  /** The last `id:` received (what an EventSource would send as Last-Event-ID). */
  lastId: string | undefined;
  /** Frames with an `event:` other than the control ones, data parsed. */
  events(): { id: string; type: string; data: Record<string, unknown> }[];
  ended: Promise<void>;
  isEnded(): boolean;
  /** Waits until `predicate` holds over the frames. */
  until(predicate: (frames: SseFrame[]) => boolean, what?: string, timeoutMs?: number): Promise<void>;
  /** Stops reading from the socket (the kernel buffers fill, then the server's). */
  pause(): void;
  /** Reads again after {@link SseReader.pause}. */
  resume(): void;
  close(): void;
}

const control = new Set(['checkpoint', 'reset', 'disconnect']);

/** Options of {@link openSse}. */
export interface OpenSseOptions {
  /** The local address to connect from (e.g. `127.0.0.2`: another client address on loopback). */
  localAddress?: string;
}

/**
 * A minimal SSE reader over `node:http`, for tests that need what EventSource hides: status
 * codes and bodies, raw frames, and a reader that stops reading.
 */
export function openSse(
  url: string,
  headers: Record<string, string> = {},
  options: OpenSseOptions = {},
): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const requestOptions = {
      headers: { accept: 'text/event-stream', ...headers },
      // One connection per stream, never a pooled one: each is a client of its own.
      agent: false,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    };
    const req = http.get(url, requestOptions, (res) => {
      let ended = false;
      let endedResolve!: () => void;
      const endedPromise = new Promise<void>((r) => {
        endedResolve = r;
      });
      const finish = () => {
        ended = true;
        endedResolve();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      const parsed: ({ id: string; type: string; data: Record<string, unknown> } | undefined)[] = [];
      const reader: SseReader = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: undefined,
        frames: [],
        comments: 0,
        lastId: undefined,
        events: () => {
          // Parsed once per frame: tests poll this while megabytes arrive.
          for (let i = parsed.length; i < reader.frames.length; i++) {
            const f = reader.frames[i]!;
            parsed.push(
              f.event && !control.has(f.event) && f.data !== undefined
                ? { id: f.id ?? '', type: f.event, data: JSON.parse(f.data) }
                : undefined,
            );
          }
          return parsed.filter((e) => e !== undefined);
        },
        ended: endedPromise,
        isEnded: () => ended,
        until: (predicate, what = 'the expected frames', timeoutMs = 60_000) =>
          waitFor(() => predicate(reader.frames), { timeoutMs, intervalMs: 20, what }).then(() => undefined),
        pause: () => res.pause(),
        resume: () => res.resume(),
        close: () => {
          req.destroy();
          finish();
        },
      };
      res.setEncoding('utf8');
      if (reader.status !== 200) {
        let text = '';
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          try {
            reader.body = JSON.parse(text);
          } catch {
            reader.body = text;
          }
          resolve(reader);
        });
        return;
      }
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (;;) {
          const end = buffer.indexOf('\n\n');
          if (end < 0) break;
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: SseFrame = {};
          let fields = 0;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              reader.comments++;
              continue;
            }
            const colon = line.indexOf(':');
            const name = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (name === 'id') frame.id = value;
            else if (name === 'event') frame.event = value;
            else if (name === 'data')
              frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
            else continue;
            fields++;
          }
          if (fields === 0) continue;
          if (frame.id !== undefined) reader.lastId = frame.id;
          reader.frames.push(frame);
        }
      });
      resolve(reader);
    });
    req.on('error', reject);
  });
}
