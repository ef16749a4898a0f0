import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { samples } from '../../schemas/index.ts';
import { createEventWriter } from '../../test/realtime-events.ts';
import { openSse, type SseReader } from '../../test/sse-reader.ts';
import { mintToken } from './auth.ts';
import { type Gateway, startGateway } from './gateway.ts';

// Bursts the node itself produces (a catch-up after a broker restart, a backlog dispatched in
// one go) must not drop clients as slow: a connection whose unsent bytes reach the bound stops
// being written to, and catches up from where it stopped once its socket drains. Only a socket
// that does not drain for `slowClientMs` is a slow client.

const config = loadConfig(process.env);
const secret = 'test-secret-for-the-catch-up-suite';
const writer = createEventWriter(config);
let gw: Gateway;
const open: SseReader[] = [];

const metric = async (name: string) => {
  const text = await (await fetch(`http://127.0.0.1:${gw.port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
};

beforeAll(async () => {
  gw = await startGateway({
    port: 0,
    kafka: config.kafka,
    registryUrl: config.registry.url,
    auth: { secret },
    heartbeatMs: 1_000,
    maxBufferBytes: 64 * 1024,
    slowClientMs: 8_000,
  });
});
afterAll(async () => {
  for (const r of open) r.close();
  await gw?.close();
  await writer.close();
});

describe('bursts', () => {
  it('keeps clients that fall megabytes behind for a moment, and gives them every event once', async () => {
    const user = randomUUID();
    const q = `http://127.0.0.1:${gw.port}/v1/stream?channels=user:${user}&token=${await mintToken({ secret, subject: user, patterns: [`user:${user}`] })}`;
    const reading = await openSse(q);
    const stalled = await openSse(q);
    open.push(reading, stalled);
    await stalled.until((f) => f.some((x) => x.event === 'checkpoint'));
    const slowBefore = await metric('outstream_sse_disconnects_total{reason="slow-client"}');
    const catchUpsBefore = await metric('outstream_sse_catch_ups_total');
    // ~7.5 MB, far past the 64 KiB bound and the kernel's socket buffers, while one client
    // takes nothing for a few seconds (less than slowClientMs).
    stalled.pause();
    const payload = { ...samples['notification.created'], recipientId: user, body: 'b'.repeat(2_400) };
    const records = await Promise.all(
      Array.from({ length: 3_000 }, () =>
        writer.record('notification.created', payload, { aggregateId: randomUUID(), sequence: 1 }),
      ),
    );
    for (let i = 0; i < records.length; i += 500) await writer.produce(records.slice(i, i + 500));
    await reading.until(() => reading.events().length === 3_000, 'the burst on the reading client', 60_000);
    stalled.resume();
    await stalled.until(() => stalled.events().length >= 3_000, 'the burst on the stalled client', 60_000);

    const ids = new Set(records.map((r) => String(r.headers!['event-id'])));
    for (const r of [reading, stalled]) {
      const got = r.events().map((e) => e.data.id as string);
      expect(got).toHaveLength(3_000);
      expect(new Set(got)).toEqual(ids);
      expect(r.frames.some((f) => f.event === 'disconnect' || f.event === 'reset')).toBe(false);
      expect(r.isEnded()).toBe(false);
    }
    expect(await metric('outstream_sse_disconnects_total{reason="slow-client"}')).toBe(slowBefore);
    // The stalled client was caught up (from memory), not written megabytes in advance.
    expect(await metric('outstream_sse_catch_ups_total')).toBeGreaterThan(catchUpsBefore);
  });
});
