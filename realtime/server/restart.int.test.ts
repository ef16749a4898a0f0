import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { waitFor } from '../../core/wait.ts';
import { createEventWriter } from '../../test/realtime-events.ts';
import { type AnyStreamEvent, createStreamClient, type StreamClient } from '../client/index.ts';
import { mintToken } from './auth.ts';
import { type GatewayChild, startGatewayChild } from './gateway-child.ts';

// The gateway runs as a child process (as `npm run sse` does), so it can be killed and
// restarted while typed clients (on the `eventsource` polyfill) are streaming.

const config = loadConfig(process.env);
const secret = 'test-secret-for-the-restart-suite';
const writer = createEventWriter(config);
let gateway: GatewayChild;

beforeAll(async () => {
  gateway = await startGatewayChild({
    SSE_JWT_SECRET: secret,
    SSE_HEARTBEAT_MS: '1000',
    SSE_RETRY_MS: '300',
    SSE_DRAIN_MS: '300',
  });
});
afterAll(async () => {
  await gateway?.stop('SIGTERM');
  await writer.close();
});

describe('gateway restart mid-stream', () => {
  it('clients resume with nothing lost or repeated, after a crash and after a graceful stop', async () => {
    const hotel = writer.id('h');
    const token = await mintToken({ secret, subject: 'staff', patterns: [`hotel:${hotel}`] });
    const clients: { client: StreamClient; events: AnyStreamEvent[]; resets: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const events: AnyStreamEvent[] = [];
      const client = createStreamClient({
        url: gateway.url,
        channels: [`hotel:${hotel}`],
        token,
        EventSource,
        backoff: { initialMs: 200, maxMs: 1_000 },
      });
      const entry = { client, events, resets: 0 };
      client.onAny((e) => events.push(e));
      client.onReset(() => entry.resets++);
      clients.push(entry);
    }
    await waitFor(() => clients.every((c) => c.client.lastEventId), {
      timeoutMs: 30_000,
      what: 'clients to open',
    });
    const bookings = [writer.id('b'), writer.id('b'), writer.id('b')];
    const emitted: string[] = [];
    const emit = async (n: number) => {
      for (const b of bookings) emitted.push(...(await writer.booking(hotel, b, n)).map((e) => e.eventId));
    };
    const allReceived = (what: string) =>
      waitFor(() => clients.every((c) => c.events.length >= emitted.length), { timeoutMs: 90_000, what });

    await emit(1);
    await allReceived('events before the crash');
    await gateway.stop('SIGKILL');
    await emit(2); // committed while no gateway runs
    await gateway.restart();
    await allReceived('the events missed during the crash');
    await emit(1);
    await allReceived('live events after the restart');

    await gateway.stop('SIGTERM'); // drains: every stream ends with a disconnect event
    await emit(1);
    await gateway.restart();
    await emit(1);
    await allReceived('the events after the graceful restart');

    for (const { client, events, resets } of clients) {
      expect(events.map((e) => e.id).sort()).toEqual([...emitted].sort());
      for (const b of bookings) {
        expect(events.filter((e) => e.aggregateId === b).map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
      }
      expect(client.duplicates).toBe(0);
      expect(resets).toBe(0);
      client.close();
    }
  });
});
