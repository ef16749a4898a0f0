import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { waitFor } from '../../core/wait.ts';
import { createEventWriter } from '../../test/realtime-events.ts';
import { openSse, type SseReader } from '../../test/sse-reader.ts';
import { mintToken } from './auth.ts';
import { type Gateway, startGateway } from './gateway.ts';
import type { GatewayOptions } from './options.ts';
import { encodePosition } from './position.ts';

const config = loadConfig(process.env);
const secret = 'test-secret-for-the-gateway-suite';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (k: typeof rsa.publicKey) => k.export({ type: 'spki', format: 'pem' }).toString();
const base: GatewayOptions = {
  port: 0,
  kafka: config.kafka,
  registryUrl: config.registry.url,
  auth: { secret, publicKeys: [pem(rsa.publicKey), pem(ec.publicKey)] },
  heartbeatMs: 1_000,
  retryMs: 200,
  maxBufferBytes: 4 * 1024 * 1024,
  slowClientMs: 3_000,
  corsOrigins: ['https://app.example.com'],
  drainMs: 100,
};
const writer = createEventWriter(config);
let gw: Gateway;
const open: SseReader[] = [];

const token = (patterns: string[], ttlSeconds?: number) =>
  mintToken({ secret, subject: 'tester', patterns, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) });
async function stream(g: Gateway, query: string, headers: Record<string, string> = {}) {
  const r = await openSse(`http://127.0.0.1:${g.port}/v1/stream?${query}`, headers);
  open.push(r);
  return r;
}
const seqs = (r: SseReader, aggregateId: string) =>
  r
    .events()
    .filter((e) => e.data.aggregateId === aggregateId)
    .map((e) => e.data.sequence);
const metric = async (g: Gateway, name: string) => {
  const text = await (await fetch(`http://127.0.0.1:${g.port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
};

beforeAll(async () => {
  gw = await startGateway(base);
});
afterAll(async () => {
  for (const r of open) r.close();
  await gw?.close();
  await writer.close();
});

describe('auth', () => {
  it('answers each bad request with its status and a message naming the problem', async () => {
    const hotel = writer.id('h');
    const signedElsewhere = await mintToken({
      secret: 'another-secret-entirely',
      subject: 'x',
      patterns: ['*'],
    });
    const cases: [string, Record<string, string>, number, string][] = [
      [`channels=hotel:${hotel}`, {}, 401, 'missing token'],
      [`channels=hotel:${hotel}&token=${await token(['*'], -10)}`, {}, 401, 'token expired'],
      [`channels=hotel:${hotel}&token=${signedElsewhere}`, {}, 401, 'signature'],
      [`channels=hotel:${hotel}&token=not.a.jwt`, {}, 401, 'token'],
      [
        `channels=hotel:${hotel},hotel:other&token=${await token([`hotel:${hotel}`])}`,
        {},
        403,
        'hotel:other',
      ],
      [`channels=hotel:${hotel},tenant:1&token=${await token(['*'])}`, {}, 400, 'tenant:1'],
      [`token=${await token(['*'])}`, {}, 400, 'missing channels'],
    ];
    for (const [query, headers, status, needle] of cases) {
      const r = await stream(gw, query, headers);
      expect(r.status, query).toBe(status);
      expect(JSON.stringify(r.body), query).toContain(needle);
    }
    const forbidden = await stream(gw, `channels=user:u1,user:u2&token=${await token(['user:u1'])}`);
    expect(forbidden.body).toMatchObject({ error: 'FORBIDDEN_CHANNEL', channels: ['user:u2'] });
  });

  it('accepts the token from the header, a cookie or the query, signed HS256, RS256 or ES256', async () => {
    const hotel = writer.id('h');
    const claims = { subscribe: [`hotel:${hotel}`] };
    const rs = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime('1h')
      .sign(rsa.privateKey);
    const es = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256' })
      .setExpirationTime('1h')
      .sign(ec.privateKey);
    const hs = await token([`hotel:${hotel}`]);
    const q = `channels=hotel:${hotel}`;
    for (const r of [
      await stream(gw, q, { authorization: `Bearer ${rs}` }),
      await stream(gw, q, { authorization: `Bearer ${es}` }),
      await stream(gw, q, { cookie: `outstream_token=${hs}` }),
      await stream(gw, `${q}&token=${hs}`, { origin: 'https://app.example.com' }),
    ]) {
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toContain('text/event-stream');
      r.close();
    }
    expect(open.at(-1)!.headers['access-control-allow-origin']).toBe('https://app.example.com');
  });
});

describe('fan-out', () => {
  it('delivers each client its channels only, with the channel projection, once per event', async () => {
    const [h1, h2, b1, b2] = [writer.id('h'), writer.id('h'), writer.id('b'), writer.id('b')];
    const staff1 = await stream(gw, `channels=hotel:${h1}&token=${await token(['hotel:*'])}`);
    const staff2 = await stream(gw, `channels=hotel:${h2}&token=${await token([`hotel:${h2}`])}`);
    const both = await stream(gw, `channels=hotel:${h1},booking:${b1}&token=${await token(['*'])}`);
    await writer.booking(h1, b1, 2);
    await writer.booking(h2, b2, 1);
    await staff1.until(() => seqs(staff1, b1).length === 2, 'hotel 1 events');
    await staff2.until(() => seqs(staff2, b2).length === 1, 'hotel 2 events');
    await both.until(() => seqs(both, b1).length === 2, 'hotel+booking events');

    expect(seqs(staff1, b1)).toEqual([1, 2]);
    expect(staff1.events().every((e) => e.data.aggregateId === b1)).toBe(true);
    expect(staff2.events().every((e) => e.data.aggregateId === b2)).toBe(true);
    const staffView = staff1.events()[0]!;
    expect(staffView).toMatchObject({
      type: 'booking.created',
      data: { channel: `hotel:${h1}`, sequence: 1 },
    });
    expect((staffView.data.payload as { guest: object }).guest).not.toHaveProperty('email');
    // Subscribed to both channels the event reaches: one delivery, the booking's (full) view.
    expect(both.events().map((e) => e.data.channel)).toEqual([`booking:${b1}`, `booking:${b1}`]);
    expect((both.events()[0]!.data.payload as { guest: object }).guest).toHaveProperty('email');
    for (const e of staff1.events()) expect(e.id).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('reads Kafka without joining a consumer group, and says how the read goes in /health', async () => {
    const kafka = createKafka({ brokers: config.kafka.brokers, clientId: 'test-gateway' });
    const groups = await kafka.withAdmin((admin) => admin.listGroups());
    expect(groups.filter((g) => g.groupId.includes(gw.nodeId))).toEqual([]);
    const health = await (await fetch(`http://127.0.0.1:${gw.port}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', node: gw.nodeId, kafka: 'ok' });
  });

  it('sends heartbeats and a retry hint', async () => {
    const r = await stream(gw, `channels=user:${writer.id('u')}&token=${await token(['user:*'])}`);
    await waitFor(() => r.comments >= 1, { timeoutMs: 10_000, what: 'a heartbeat' });
    expect(r.frames[0]?.event).toBe('checkpoint');
  });
});

describe('resume', () => {
  it('brings every missed event once, in order, then continues live (from memory)', async () => {
    const [h, b] = [writer.id('h'), writer.id('b')];
    const t = await token([`hotel:${h}`]);
    const first = await stream(gw, `channels=hotel:${h}&token=${t}`);
    // Sees everything: tells when the gateway has read the events the resumer missed.
    const observer = await stream(gw, `channels=hotel:${h}&token=${t}`);
    await writer.booking(h, b, 2);
    await first.until(() => seqs(first, b).length === 2);
    first.close();
    await writer.booking(h, writer.id('b'), 1);
    const b3 = writer.id('b');
    await writer.booking(h, b3, 3);
    await observer.until(() => seqs(observer, b3).length === 3);
    const before = await metric(gw, 'outstream_sse_resumes_total{source="memory"}');
    const second = await stream(gw, `channels=hotel:${h}&token=${t}`, { 'last-event-id': first.lastId! });
    await second.until(() => seqs(second, b3).length === 3, 'the missed events');
    await writer.booking(h, b, 1); // continues b1's sequence: 3
    await second.until(() => seqs(second, b).length === 1, 'a live event after the gap');
    expect(seqs(second, b)).toEqual([3]);
    expect(seqs(second, b3)).toEqual([1, 2, 3]);
    expect(second.events()).toHaveLength(5);
    expect(new Set(second.events().map((e) => e.data.id)).size).toBe(5);
    expect(await metric(gw, 'outstream_sse_resumes_total{source="memory"}')).toBe(before + 1);
  });

  it('serves a gap from Kafka on a fresh node, and ?lastEventId= works like the header', async () => {
    const [h, b] = [writer.id('h'), writer.id('b')];
    const t = await token([`hotel:${h}`]);
    const first = await stream(gw, `channels=hotel:${h}&token=${t}`);
    const observer = await stream(gw, `channels=hotel:${h}&token=${t}`);
    await writer.booking(h, b, 1);
    await first.until(() => seqs(first, b).length === 1);
    first.close();
    await writer.booking(h, b, 2); // sequences 2 and 3, emitted while no node serves the client
    await observer.until(() => seqs(observer, b).length === 3, 'the events to be in Kafka');
    const fresh = await startGateway(base);
    try {
      const r = await stream(fresh, `channels=hotel:${h}&token=${t}&lastEventId=${first.lastId!}`);
      await r.until(() => seqs(r, b).length === 2, 'the gap, read from Kafka');
      await writer.booking(h, b, 1);
      await r.until(() => seqs(r, b).length === 3, 'live after the gap');
      expect(seqs(r, b)).toEqual([2, 3, 4]);
      expect(await metric(fresh, 'outstream_sse_resumes_total{source="kafka"}')).toBe(1);
      r.close();
    } finally {
      await fresh.close();
    }
  });

  it('sends an explicit reset when the gap cannot be served', async () => {
    const h = writer.id('h');
    const t = await token([`hotel:${h}`]);
    const q = `channels=hotel:${h}&token=${t}`;
    const garbage = await stream(gw, q, { 'last-event-id': 'garbage!' });
    const old = encodePosition({
      issuedAt: Date.now() - 60 * 60_000,
      offsets: new Map(
        ['events.booking', 'events.room', 'events.user'].map((x) => [x, Array<bigint>(12).fill(0n)]),
      ),
    });
    const tooOld = await stream(gw, q, { 'last-event-id': old });
    for (const [r, reason] of [
      [garbage, 'invalid-token'],
      [tooOld, 'too-old'],
    ] as const) {
      await r.until((f) => f.some((x) => x.event === 'reset'), `reset ${reason}`);
      const reset = r.frames.find((x) => x.event === 'reset')!;
      expect(JSON.parse(reset.data!).reason).toBe(reason);
      expect(reset.id).toBeTruthy();
    }
    // A token that does not cover the channels' topics (user channels need events.message).
    const hotelOnly = await stream(gw, q);
    await hotelOnly.until((f) => f.some((x) => x.id));
    const mismatch = await stream(gw, `channels=user:u-y&token=${await token(['*'])}`, {
      'last-event-id': hotelOnly.lastId!,
    });
    await mismatch.until((f) => f.some((x) => x.event === 'reset'));
    expect(JSON.parse(mismatch.frames.find((x) => x.event === 'reset')!.data!).reason).toBe(
      'channels-changed',
    );
  });
});

describe('backpressure and limits', () => {
  it('drops a client that stops reading, with its reason, and the others are unaffected', async () => {
    const user = writer.id('u');
    const t = await token([`user:${user}`]);
    const fast = await stream(gw, `channels=user:${user}&token=${t}`);
    const slow = await stream(gw, `channels=user:${user}&token=${t}`);
    slow.pause();
    const before = await metric(gw, 'outstream_sse_disconnects_total{reason="slow-client"}');
    // ~8 MB: more than the kernel's socket buffers hold (~4 MB on loopback), so bytes queue up
    // at the gateway and stay queued.
    const count = 100;
    for (let i = 0; i < 20; i++) await writer.messages(user, count / 20, 80_000);
    await fast.until(() => fast.events().length === count, 'every event on the fast client');
    await waitFor(
      async () => (await metric(gw, 'outstream_sse_disconnects_total{reason="slow-client"}')) > before,
      {
        timeoutMs: 60_000,
        what: 'the slow client to be dropped',
      },
    );
    expect(fast.isEnded()).toBe(false);
    expect(new Set(fast.events().map((e) => e.data.id)).size).toBe(count);
    // The slow client reads what was queued, then the reason; it resumes from its last id.
    slow.resume();
    await slow.until((f) => f.some((x) => x.event === 'disconnect'), 'the disconnect reason', 30_000);
    const reason = JSON.parse(slow.frames.find((x) => x.event === 'disconnect')!.data!);
    expect(reason.reason).toBe('slow-client');
    await slow.ended;
    // Events emitted after the drop: the slow client gets them (and anything it had not
    // received) by resuming from its last id.
    await writer.messages(user, 5);
    await fast.until(() => fast.events().length === count + 5, 'the later events on the fast client');
    const got = slow.events().length;
    const again = await stream(gw, `channels=user:${user}&token=${t}`, { 'last-event-id': slow.lastId! });
    await again.until(() => again.events().length === count + 5 - got, 'the rest after resuming');
    const ids = [...slow.events(), ...again.events()].map((e) => e.data.id);
    expect(ids).toHaveLength(count + 5);
    expect(new Set(ids)).toEqual(new Set(fast.events().map((e) => e.data.id)));
  });

  it('ends a stream whose token expires, saying so', async () => {
    const user = writer.id('u');
    const r = await stream(gw, `channels=user:${user}&token=${await token([`user:${user}`], 2)}`);
    expect(r.status).toBe(200);
    await r.until((f) => f.some((x) => x.event === 'disconnect'), 'the expiry', 15_000);
    expect(JSON.parse(r.frames.find((x) => x.event === 'disconnect')!.data!).reason).toBe('token-expired');
    await r.ended;
  });

  it('refuses streams over the node limit with 503', async () => {
    const small = await startGateway({ ...base, maxConnections: 2 });
    try {
      const t = await token(['*']);
      const rs = [];
      for (let i = 0; i < 3; i++) rs.push(await stream(small, `channels=user:x${i}&token=${t}`));
      expect(rs.map((r) => r.status)).toEqual([200, 200, 503]);
      expect(rs[2]!.headers['retry-after']).toBeDefined();
      for (const r of rs) r.close();
    } finally {
      await small.close();
    }
  });
});
