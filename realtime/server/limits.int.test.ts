import { randomUUID } from 'node:crypto';
import { EventSource } from 'eventsource';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { waitFor } from '../../core/wait.ts';
import { samples } from '../../schemas/index.ts';
import { createEventWriter } from '../../test/realtime-events.ts';
import { openSse, type SseReader } from '../../test/sse-reader.ts';
import { type AnyStreamEvent, createStreamClient } from '../client/index.ts';
import { mintToken } from './auth.ts';
import { type GatewayChild, startGatewayChild } from './gateway-child.ts';

// Limits of a gateway process: streams per client address (429), the node's limit shown in
// /health (`full`, 503), and the maximum stream lifetime (a final event, then the typed client
// re-authenticates and resumes without loss).

const config = loadConfig(process.env);
const secret = 'test-secret-for-the-limits-suite';
const writer = createEventWriter(config);
const children: GatewayChild[] = [];
const open: SseReader[] = [];

const token = () => mintToken({ secret, subject: 'limits', patterns: ['*'] });
async function gateway(env: Record<string, string>) {
  const child = await startGatewayChild({ SSE_JWT_SECRET: secret, SSE_HEARTBEAT_MS: '500', ...env });
  children.push(child);
  return child;
}
async function stream(gw: GatewayChild, from: string, query = '') {
  const r = await openSse(
    `${gw.url}/v1/stream?channels=user:${randomUUID()}&token=${await token()}${query}`,
    {},
    {
      localAddress: from,
    },
  );
  open.push(r);
  return r;
}
const health = async (gw: GatewayChild) => {
  const res = await fetch(`${gw.url}/health`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

afterAll(async () => {
  for (const r of open) r.close();
  for (const c of children) await c.stop();
  await writer.close();
});

describe('connection limits', () => {
  it('refuses a client address past its limit with 429, and says in /health when the node is full', async () => {
    const gw = await gateway({ SSE_MAX_CONNECTIONS: '6', SSE_MAX_CONNECTIONS_PER_IP: '4' });
    const first = [];
    for (let i = 0; i < 5; i++) first.push(await stream(gw, '127.0.0.1'));
    expect(first.map((r) => r.status)).toEqual([200, 200, 200, 200, 429]);
    expect(first[4]!.body).toMatchObject({ error: 'ADDRESS_CONNECTION_LIMIT' });
    expect(first[4]!.headers['retry-after']).toBeDefined();
    // Another address is not affected; a closed stream gives its address's slot back.
    expect((await stream(gw, '127.0.0.2')).status).toBe(200);
    first[0]!.close();
    await waitFor(async () => (await gw.metric('outstream_sse_connections')) === 4, {
      timeoutMs: 5_000,
      what: 'the closed stream to be gone',
    });
    expect((await stream(gw, '127.0.0.1')).status).toBe(200);
    expect(await health(gw)).toMatchObject({ status: 200, body: { status: 'ok', connections: 5 } });

    expect((await stream(gw, '127.0.0.3')).status).toBe(200);
    expect(await health(gw)).toMatchObject({
      status: 503,
      body: { status: 'full', connections: 6, maxConnections: 6, saturation: 1 },
    });
    const refused = await stream(gw, '127.0.0.4');
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: 'CONNECTION_LIMIT' });
    open.at(-2)!.close();
    await waitFor(async () => (await health(gw)).status === 200, {
      timeoutMs: 5_000,
      what: '/health ok again',
    });
    expect(gw.alive()).toBe(true);
    expect(gw.errors()).toEqual([]);
  });
});

describe('stream lifetime', () => {
  it('ends every stream at the maximum lifetime with a final event; the typed client re-authenticates and loses nothing', async () => {
    const gw = await gateway({ SSE_MAX_STREAM_MS: '1500', SSE_RETRY_MS: '200' });
    const raw = await stream(gw, '127.0.0.1');
    await raw.until((f) => f.some((x) => x.event === 'disconnect'), 'the end of the stream', 10_000);
    await raw.ended;
    const last = raw.frames.at(-1)!;
    expect(last.event).toBe('disconnect');
    expect(JSON.parse(last.data!)).toMatchObject({ reason: 'max-lifetime' });
    // A last checkpoint before it: the client resumes exactly from there.
    expect(raw.frames.at(-2)!.event).toBe('checkpoint');

    const user = randomUUID();
    let tokens = 0;
    const events: AnyStreamEvent[] = [];
    let resets = 0;
    const client = createStreamClient({
      url: gw.url,
      channels: [`user:${user}`],
      token: () => {
        tokens++;
        return mintToken({ secret, subject: user, patterns: [`user:${user}`] });
      },
      EventSource,
      backoff: { initialMs: 100, maxMs: 500 },
    });
    client.onAny((e) => events.push(e));
    client.onReset(() => resets++);
    try {
      await waitFor(() => client.lastEventId, { timeoutMs: 10_000, what: 'the client to open' });
      const payload = { ...samples['notification.created'], recipientId: user };
      const ids: string[] = [];
      // Over ~5 s: several lifetimes, events arriving before, across and after each end.
      for (let i = 0; i < 20; i++) {
        const record = await writer.record('notification.created', payload, {
          aggregateId: randomUUID(),
          sequence: 1,
        });
        ids.push(String(record.headers!['event-id']));
        await writer.produce([record]);
        await new Promise((r) => setTimeout(r, 250));
      }
      await waitFor(() => events.length >= ids.length, { timeoutMs: 30_000, what: 'every event' });
      expect(events.map((e) => e.id).sort()).toEqual([...ids].sort());
      expect(client.duplicates).toBe(0);
      expect(resets).toBe(0);
      expect(tokens).toBeGreaterThanOrEqual(3);
      expect(
        await gw.metric('outstream_sse_disconnects_total{reason="max-lifetime"}'),
      ).toBeGreaterThanOrEqual(2);
    } finally {
      client.close();
    }
  });
});
