// Load generator for bench/sse.bench.ts, run as a child process (its own open-files budget):
// holds raw SSE connections over node:http, records when each event arrives, and on command
// cuts every connection at once and reconnects (with Last-Event-ID when told to resume).
// Driven over IPC; prints nothing.
import http from 'node:http';

/** Commands the orchestrator sends. */
export type LoadCommand =
  | { cmd: 'open'; port: number; paths: string[]; concurrency: number }
  | { cmd: 'storm'; resume: boolean }
  | { cmd: 'report' }
  | { cmd: 'count' }
  | { cmd: 'close' };

/** Replies to the orchestrator. */
export type LoadReply =
  | { reply: 'opened'; ok: number; failed: number }
  | { reply: 'stormed'; reopened: number; failed: number }
  | { reply: 'report'; received: { path: string; ids: string[]; times: number[] }[] }
  | { reply: 'count'; received: number }
  | { reply: 'closed' };

interface Conn {
  path: string;
  lastId: string | undefined;
  ids: string[];
  times: number[];
  buffer: string;
  req: http.ClientRequest | undefined;
}

const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
const conns: Conn[] = [];
let port = 0;
const send = (m: LoadReply) => process.send!(m);

function parse(conn: Conn, chunk: string): void {
  conn.buffer += chunk;
  let end = conn.buffer.indexOf('\n\n');
  while (end >= 0) {
    const block = conn.buffer.slice(0, end);
    conn.buffer = conn.buffer.slice(end + 2);
    end = conn.buffer.indexOf('\n\n');
    if (block.startsWith(':') || block.startsWith('retry:')) continue;
    const idLine = /^id: (.*)$/m.exec(block);
    if (idLine) conn.lastId = idLine[1];
    // Event ids are the first field of the data JSON: no full parse on the hot path.
    const eventId = /^data: \{"id":"([^"]+)"/m.exec(block);
    if (eventId) {
      conn.ids.push(eventId[1]!);
      conn.times.push(performance.timeOrigin + performance.now());
    }
  }
}

function connect(conn: Conn, resume: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (resume && conn.lastId) headers['last-event-id'] = conn.lastId;
    const req = http.get({ host: '127.0.0.1', port, path: conn.path, headers, agent }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        resolve(false);
        return;
      }
      res.setEncoding('utf8');
      let first = true;
      res.on('data', (chunk: string) => {
        parse(conn, chunk);
        if (first) {
          first = false;
          resolve(true);
        }
      });
      res.on('error', () => {});
    });
    req.on('error', () => resolve(false));
    conn.req = req;
  });
}

async function openAll(paths: string[], concurrency: number): Promise<{ ok: number; failed: number }> {
  let next = 0;
  let ok = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < paths.length) {
        const conn: Conn = {
          path: paths[next++]!,
          lastId: undefined,
          ids: [],
          times: [],
          buffer: '',
          req: undefined,
        };
        conns.push(conn);
        if (await connect(conn, false)) ok++;
        else failed++;
      }
    }),
  );
  return { ok, failed };
}

process.on('message', async (m: LoadCommand) => {
  if (m.cmd === 'open') {
    port = m.port;
    send({ reply: 'opened', ...(await openAll(m.paths, m.concurrency)) });
  } else if (m.cmd === 'storm') {
    for (const c of conns) {
      c.req?.destroy();
      c.buffer = '';
    }
    let reopened = 0;
    let failed = 0;
    await Promise.all(
      conns.map(async (c) => {
        if (await connect(c, m.resume)) reopened++;
        else failed++;
      }),
    );
    send({ reply: 'stormed', reopened, failed });
  } else if (m.cmd === 'count') {
    // Cheap to ask every 2 s: the full report of 4,000 streams is millions of ids over IPC.
    send({ reply: 'count', received: conns.reduce((n, c) => n + c.ids.length, 0) });
  } else if (m.cmd === 'report') {
    send({ reply: 'report', received: conns.map((c) => ({ path: c.path, ids: c.ids, times: c.times })) });
  } else if (m.cmd === 'close') {
    for (const c of conns) c.req?.destroy();
    conns.length = 0;
    send({ reply: 'closed' });
  }
});
