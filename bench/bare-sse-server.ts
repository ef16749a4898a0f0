// The baseline of bench/sse.bench.ts, run as a child process: a bare node:http SSE server
// (channels from ?channels=, heartbeat comments), and with --redis the seeds' design: it
// subscribes to Redis pub/sub `hotel:*` and forwards each message to that channel's streams.
// No auth, no ids, no resume. Tells the parent its port over IPC.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';

const { values } = parseArgs({
  options: { heartbeat: { type: 'string', default: '15000' }, redis: { type: 'string' } },
});
const byChannel = new Map<string, Set<http.ServerResponse>>();

const server = http.createServer((req, res) => {
  const channels = (new URL(req.url ?? '/', 'http://x').searchParams.get('channels') ?? '').split(',');
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(':ok\n\n');
  for (const ch of channels) {
    let set = byChannel.get(ch);
    if (!set) {
      set = new Set();
      byChannel.set(ch, set);
    }
    set.add(res);
  }
  res.on('close', () => {
    for (const ch of channels) byChannel.get(ch)?.delete(res);
  });
});

setInterval(() => {
  for (const set of byChannel.values()) for (const res of set) res.write(':\n\n');
}, Number(values.heartbeat));

if (values.redis) {
  const sub = new Redis(values.redis);
  await sub.psubscribe('hotel:*');
  sub.on('pmessage', (_pattern: string, channel: string, message: string) => {
    for (const res of byChannel.get(channel) ?? []) res.write(`data: ${message}\n\n`);
  });
}

server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
