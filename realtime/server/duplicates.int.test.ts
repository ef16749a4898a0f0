import { randomUUID } from 'node:crypto';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import type { ProducerRecord } from '../../core/kafka/index.ts';
import { waitFor } from '../../core/wait.ts';
import { samples } from '../../schemas/index.ts';
import { createEventWriter } from '../../test/realtime-events.ts';
import { openSse, type SseReader } from '../../test/sse-reader.ts';
import { type AnyStreamEvent, createStreamClient } from '../client/index.ts';
import { mintToken } from './auth.ts';
import { type Gateway, startGateway } from './gateway.ts';
import { type GatewayChild, startGatewayChild } from './gateway-child.ts';

// Debezium is at least once: after a Connect crash it republishes recent records at later
// offsets with the same envelope. The same envelope is written twice here with the Kafka
// port's producer; a stream, a resumed stream (from memory and from Kafka) and the typed
// client across a resume each deliver it once.

const config = loadConfig(process.env);
const secret = 'test-secret-for-the-duplicates-suite';
const writer = createEventWriter(config);
const base = {
  port: 0,
  kafka: config.kafka,
  registryUrl: config.registry.url,
  auth: { secret },
  heartbeatMs: 1_000,
  retryMs: 200,
  drainMs: 100,
};
let gw: Gateway;
const open: SseReader[] = [];

async function stream(g: { port: number }, user: string, headers: Record<string, string> = {}) {
  const t = await mintToken({ secret, subject: user, patterns: [`user:${user}`] });
  const r = await openSse(`http://127.0.0.1:${g.port}/v1/stream?channels=user:${user}&token=${t}`, headers);
  open.push(r);
  return r;
}
/** A notification for `user` as Debezium would write it: aggregate `aggregateId`, `sequence`. */
const notification = (user: string, aggregateId: string, sequence: number, eventId = randomUUID()) =>
  writer.record(
    'notification.created',
    { ...samples['notification.created'], recipientId: user, notificationId: aggregateId },
    { aggregateId, sequence, eventId },
  );
const delivered = (r: SseReader) => r.events().map((e) => `${e.data.aggregateId}#${e.data.sequence}`);

beforeAll(async () => {
  gw = await startGateway(base);
});
afterAll(async () => {
  for (const r of open) r.close();
  await gw?.close();
  await writer.close();
});

describe('duplicates', () => {
  it('delivers an envelope written twice once: live, resumed from memory and resumed from Kafka', async () => {
    const user = randomUUID();
    const [a, b] = [randomUUID(), randomUUID()];
    const live = await stream(gw, user);
    await live.until((f) => f.some((x) => x.event === 'checkpoint'));
    const start = live.lastId!;
    const a1 = await notification(user, a, 1);
    const a2 = await notification(user, a, 2);
    const b1 = await notification(user, b, 1);
    // a1 and a2, then (as Debezium after a Connect crash) a1 and a2 again, then b1.
    const written: ProducerRecord[] = [a1, a2, a1, a2, b1];
    for (const r of written) await writer.produce([r]);
    const expected = [`${a}#1`, `${a}#2`, `${b}#1`];
    await live.until(() => delivered(live).includes(`${b}#1`), 'the last event live');
    expect(delivered(live)).toEqual(expected);

    // Resumed from before all of them, on this node: the gap is in memory.
    const fromMemory = await stream(gw, user, { 'last-event-id': start });
    await fromMemory.until(() => delivered(fromMemory).includes(`${b}#1`), 'the gap from memory');
    expect(delivered(fromMemory)).toEqual(expected);

    // On a node started after them: the gap is read from Kafka.
    const fresh = await startGateway(base);
    try {
      const fromKafka = await stream(fresh, user, { 'last-event-id': start });
      await fromKafka.until(() => delivered(fromKafka).includes(`${b}#1`), 'the gap from Kafka');
      // A repeat written once the resume is live is dropped too.
      await writer.produce([b1]);
      const b2 = await notification(user, b, 2);
      await writer.produce([b2]);
      await fromKafka.until(() => delivered(fromKafka).includes(`${b}#2`), 'a live event after the gap');
      expect(delivered(fromKafka)).toEqual([...expected, `${b}#2`]);
    } finally {
      await fresh.close();
    }
    await live.until(() => delivered(live).includes(`${b}#2`), 'the later events live');
    expect(delivered(live)).toEqual([...expected, `${b}#2`]);
  });

  it('never passes an event twice to the typed client across a resume onto a node that never saw the original', async () => {
    const child: GatewayChild = await startGatewayChild({ SSE_JWT_SECRET: secret, SSE_RETRY_MS: '200' });
    const user = randomUUID();
    const events: AnyStreamEvent[] = [];
    const client = createStreamClient({
      url: child.url,
      channels: [`user:${user}`],
      token: () => mintToken({ secret, subject: user, patterns: [`user:${user}`] }),
      EventSource,
      backoff: { initialMs: 100, maxMs: 500 },
    });
    client.onAny((e) => events.push(e));
    try {
      await waitFor(() => client.lastEventId, { timeoutMs: 10_000, what: 'the client to open' });
      const raw = await stream(child, user);
      const a = randomUUID();
      const a1 = await notification(user, a, 1);
      await writer.produce([a1]);
      await waitFor(() => events.length === 1, { timeoutMs: 10_000, what: 'the original' });
      await raw.until(() => delivered(raw).length === 1, 'the original on a plain reader');
      // The node dies; meanwhile Debezium republishes the event, then a new one follows.
      await child.stop('SIGKILL');
      await writer.produce([a1]);
      await writer.produce([await notification(user, a, 2)]);
      await child.restart();
      await waitFor(() => events.length === 2, { timeoutMs: 30_000, what: 'the event after the restart' });
      expect(events.map((e) => `${e.aggregateId}#${e.sequence}`)).toEqual([`${a}#1`, `${a}#2`]);
      expect(client.duplicates).toBe(1);
      // What a stock EventSource gets (README, "Duplicates"): the restarted node never saw
      // the original, so its resume passes the repeat once.
      const resumed = await stream(child, user, { 'last-event-id': raw.lastId! });
      await resumed.until(() => delivered(resumed).includes(`${a}#2`), 'the resume of a plain reader');
      expect(delivered(resumed)).toEqual([`${a}#1`, `${a}#2`]);
    } finally {
      client.close();
      await child.stop();
    }
  });
});
