import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { waitFor } from '../../core/wait.ts';
import { samples } from '../../schemas/index.ts';
import { createEventWriter } from '../../test/realtime-events.ts';
import { openSse, type SseReader } from '../../test/sse-reader.ts';
import { mintToken } from './auth.ts';
import { type GatewayChild, startGatewayChild } from './gateway-child.ts';
import { decodePosition, encodePosition, type Position } from './position.ts';

// Hostile input against a gateway running as its own process (as `npm run sse`), its V8 heap
// capped at 256 MB (what it holds must fit, or it dies): every answer is the documented one,
// the process stays up, logs no error, and its memory stays bounded. Malformed JWTs and crafted position tokens; forged resumes from offset 0; per-address
// and node limits with /health; unknown asset names.

const config = loadConfig(process.env);
const secret = 'test-secret-for-the-hostile-suite';
const writer = createEventWriter(config);
const kafka = createKafka({ ...config.kafka, clientId: 'test-hostile' });
let gw: GatewayChild;
const open: SseReader[] = [];
const MiB = 1024 * 1024;
const replayBytes = 4 * MiB;

const token = (patterns: string[]) => mintToken({ secret, subject: 'hostile', patterns });
async function stream(query: string, headers: Record<string, string> = {}, localAddress?: string) {
  const r = await openSse(`${gw.url}/v1/stream?${query}`, headers, localAddress ? { localAddress } : {});
  open.push(r);
  return r;
}
const resetOf = async (r: SseReader) => {
  await r.until((f) => f.some((x) => x.event === 'reset'), 'a reset', 30_000);
  const frame = r.frames.find((x) => x.event === 'reset')!;
  return { ...(JSON.parse(frame.data!) as { reason: string; message: string }), id: frame.id };
};
const rss = () => gw.metric('outstream_sse_process_resident_memory_bytes');
const heap = () => gw.metric('outstream_sse_nodejs_heap_size_used_bytes');

beforeAll(async () => {
  gw = await startGatewayChild({
    SSE_JWT_SECRET: secret,
    SSE_HEARTBEAT_MS: '500',
    SSE_MAX_REPLAY_BYTES: String(replayBytes),
    // However much the shared topics hold, the byte bound (not the offset count) stops a pass.
    SSE_MAX_REPLAY_RECORDS: '5000000',
    SSE_MAX_CONNECTIONS_PER_IP: '200',
    NODE_OPTIONS: '--max-old-space-size=256',
  });
});
afterAll(async () => {
  for (const r of open) r.close();
  await gw?.stop();
  await writer.close();
});

describe('position tokens', () => {
  it('answers every crafted Last-Event-ID with a reset naming why; heartbeats and the process go on', async () => {
    const user = `u-${randomUUID().slice(0, 8)}`;
    const q = `channels=user:${user}&token=${await token([`user:${user}`])}`;
    const fresh = await stream(q);
    await fresh.until((f) => f.some((x) => x.event === 'checkpoint'), 'the first checkpoint');
    const now = decodePosition(fresh.lastId!);
    const high = new Map(
      await kafka.withAdmin(async (a) =>
        Promise.all([...now.offsets.keys()].map(async (t) => [t, await a.partitionBounds(t)] as const)),
      ),
    );
    const like = (f: (offsets: Map<string, bigint[]>) => void, issuedAt = Date.now()): string => {
      const offsets = new Map([...now.offsets].map(([t, l]) => [t, [...l]]));
      f(offsets);
      return encodePosition({ issuedAt, offsets } satisfies Position);
    };
    const all = (v: bigint) => (o: Map<string, bigint[]>) => {
      for (const l of o.values()) l.fill(v);
    };
    const cases: [string, string][] = [
      ['offsets near 2^55 (the crash of issue 12)', like(all(2n ** 55n + 2n))],
      ["Kafka's largest offset", like(all(2n ** 63n - 1n))],
      ['offsets that do not round-trip', like(all(2n ** 64n))],
      [
        'one partition past its log end',
        like((o) => {
          const first = o.values().next().value!;
          first[0] = first[0]! + 1_000_000n;
        }),
      ],
      ['issued an hour in the future', like(() => {}, Date.now() + 3_600_000)],
      ['issued an hour ago', like(() => {}, Date.now() - 3_600_000)],
      ['a partition missing', like((o) => void o.values().next().value!.pop())],
      ['a topic the channels do not read', like((o) => void o.set('events.booking', Array(12).fill(0n)))],
      ['a topic missing', like((o) => void o.delete(o.keys().next().value!))],
      ['not base64url', 'not a token!'],
      ['4,000 characters of garbage', 'A'.repeat(4_000)],
      ['too long to be a token', 'A'.repeat(6_000)],
      ['truncated', fresh.lastId!.slice(0, -3)],
    ];
    const expected = [
      'beyond-log-end',
      'beyond-log-end',
      'invalid-token',
      'beyond-log-end',
      'invalid-token',
      'too-old',
      'partitions-changed',
      'channels-changed',
      'channels-changed',
      'invalid-token',
      'invalid-token',
      'invalid-token',
      'invalid-token',
    ];
    const readers = await Promise.all(cases.map(([, id]) => stream(q, { 'last-event-id': id })));
    const got = [];
    for (const [i, r] of readers.entries()) {
      expect(r.status, cases[i]![0]).toBe(200);
      const reset = await resetOf(r);
      got.push(reset.reason);
      // The reset's id is a usable position: within the log, decodable.
      const at = decodePosition(reset.id!);
      for (const [t, list] of at.offsets) {
        for (const [p, o] of list.entries()) expect(o).toBeLessThanOrEqual(high.get(t)![p]!.high + 1_000n);
      }
    }
    expect(got).toEqual(expected);
    // Longer than Node's header limit (16 KiB): Node itself answers 431.
    expect((await stream(q, { 'last-event-id': 'A'.repeat(20_000) })).status).toBe(431);
    // Heartbeats keep coming on every stream, including those resumed from crafted tokens.
    const counts = readers.map((r) => r.comments + r.frames.length);
    await waitFor(() => readers.every((r, i) => r.comments + r.frames.length >= counts[i]! + 2), {
      timeoutMs: 10_000,
      what: 'two more heartbeats on every stream',
    });
    expect(gw.alive()).toBe(true);
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    expect(gw.errors()).toEqual([]);
    for (const r of [fresh, ...readers]) r.close();
  });
});

describe('forged resumes', () => {
  it('reads a bounded window once for many forged offset-0 tokens, resets them, and stops when they leave', async () => {
    const user = randomUUID();
    // More than the replay window in bytes: 3,000 notifications of ~2 KB.
    const payload = { ...samples['notification.created'], recipientId: user, body: 'x'.repeat(2_000) };
    const records = await Promise.all(
      Array.from({ length: 3_000 }, () =>
        writer.record('notification.created', payload, { aggregateId: randomUUID(), sequence: 1 }),
      ),
    );
    for (let i = 0; i < records.length; i += 500) await writer.produce(records.slice(i, i + 500));
    const q = `channels=user:${user}&token=${await token([`user:${user}`])}`;
    const fresh = await stream(q);
    await fresh.until((f) => f.some((x) => x.event === 'checkpoint'));
    const zero = new Map([...decodePosition(fresh.lastId!).offsets].map(([t, l]) => [t, l.map(() => 0n)]));
    const forged = encodePosition({ issuedAt: Date.now(), offsets: zero });
    const rssBefore = await rss();
    const rounds: { rss: number; read: number }[] = [];
    for (let round = 0; round < 3; round++) {
      const readBefore = await gw.metric('outstream_sse_gap_records_read_total');
      const readers = await Promise.all(
        Array.from({ length: 60 }, () => stream(q, { 'last-event-id': forged })),
      );
      const reasons = await Promise.all(readers.map(async (r) => (await resetOf(r)).reason));
      expect(new Set(reasons)).toEqual(new Set(['gap-too-large']));
      const read = (await gw.metric('outstream_sse_gap_records_read_total')) - readBefore;
      rounds.push({ rss: await rss(), read });
      for (const r of readers) r.close();
    }
    console.log(
      `60 forged offset-0 resumes, 3 rounds: RSS ${(rssBefore / MiB).toFixed(0)} MiB before, ` +
        `${rounds.map((r) => `${(r.rss / MiB).toFixed(0)} MiB (${r.read} records read)`).join(', ')}`,
    );
    const read = Math.max(...rounds.map((r) => r.read));
    expect(Math.min(...rounds.map((r) => r.read))).toBeGreaterThan(0);
    // At most two passes a round (the first read may start alone), each stopped at the byte
    // bound (~4 MiB): not 60 reads of the whole log.
    expect(read).toBeLessThan(2 * (replayBytes / 2_000) + 2_000);
    // Nothing is held from round to round (the heap is capped: the process would have died),
    // and RSS stays far below the 918 MB one such request cost in issue 12.
    expect(gw.alive()).toBe(true);
    expect(Math.max(...rounds.map((r) => r.rss))).toBeLessThan(640 * MiB);

    // Clients that leave at once: nothing more is read for them.
    const before = await gw.metric('outstream_sse_gap_records_read_total');
    const leaving = await Promise.all(
      Array.from({ length: 60 }, () => stream(q, { 'last-event-id': forged })),
    );
    for (const r of leaving) r.close();
    await waitFor(async () => (await gw.metric('outstream_sse_connections')) <= 1, {
      timeoutMs: 10_000,
      what: 'the leaving streams to close',
    });
    expect((await gw.metric('outstream_sse_gap_records_read_total')) - before).toBeLessThan(read);
    expect(gw.alive()).toBe(true);
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    expect(gw.errors()).toEqual([]);
  });
});

describe('malformed JWTs', () => {
  it('answers every malformed token with 401, never a 500 or an error log', async () => {
    const b64 = (v: unknown) =>
      Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    const { createHmac } = await import('node:crypto');
    const signed = (header: unknown, payload: unknown) => {
      const input = `${b64(header)}.${b64(payload)}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    };
    const exp = Math.floor(Date.now() / 1000) + 600;
    const claims = { subscribe: ['*'], exp };
    const tokens = [
      'a',
      'a.b',
      'a.b.c.d',
      '...',
      `${b64('null')}.${b64(claims)}.x`,
      `${b64('42')}.${b64(claims)}.x`,
      `${b64('[]')}.${b64(claims)}.x`,
      `${b64('"HS256"')}.${b64(claims)}.x`,
      `${b64({})}.${b64(claims)}.x`,
      `${b64({ alg: 'none' })}.${b64(claims)}.`,
      `${b64({ alg: ['HS256'] })}.${b64(claims)}.x`,
      `${b64({ alg: { toString: 1 } })}.${b64(claims)}.x`,
      `${b64('{"alg":"HS256"')}.${b64(claims)}.x`,
      `${b64({ alg: 'HS256', x: 'y'.repeat(8_000) })}.${b64(claims)}.x`,
      signed({ alg: 'HS256', crit: ['b64'], b64: false }, claims),
      signed({ alg: 'HS256', crit: 5 }, claims),
      signed({ alg: 'HS256' }, 'not json'),
      signed({ alg: 'HS256' }, 'null'),
      signed({ alg: 'HS256' }, [1, 2]),
      signed({ alg: 'HS256' }, { subscribe: ['*'] }),
      signed({ alg: 'HS256' }, { subscribe: ['*'], exp: 'soon' }),
      signed({ alg: 'HS256' }, { subscribe: ['*'], exp: null }),
      signed({ alg: 'HS256' }, { subscribe: ['*'], exp, nbf: exp }),
      signed({ alg: 'HS256' }, { subscribe: ['*'], exp, iat: 'x' }),
      signed({ alg: 'HS256' }, { subscribe: ['*'], exp, sub: { id: 1 } }),
      signed({ alg: 'HS256' }, { subscribe: '*', exp }),
      signed({ alg: 'HS256' }, { subscribe: [1, {}], exp }),
      signed({ alg: 'HS256' }, { exp }),
      signed({ alg: 'RS256' }, claims),
      `${signed({ alg: 'HS256' }, claims)}x`,
      '\u00e9\u00e9.\u00e9.\u00e9',
    ];
    const statuses: number[] = [];
    for (const t of tokens) {
      for (const [query, headers] of [
        [`channels=user:x&token=${encodeURIComponent(t)}`, {}],
        ['channels=user:x', { authorization: `Bearer ${encodeURIComponent(t)}` }],
        ['channels=user:x', { cookie: `outstream_token=${encodeURIComponent(t)}` }],
      ] as const) {
        const r = await stream(query, headers);
        statuses.push(r.status);
        expect(r.status, t.slice(0, 80)).toBe(401);
        expect(r.body).toMatchObject({ error: 'UNAUTHORIZED' });
      }
    }
    expect(statuses).toHaveLength(tokens.length * 3);
    expect(gw.alive()).toBe(true);
    expect(gw.errors()).toEqual([]);
  });
});

describe('assets', () => {
  it('answers unknown client and demo scripts with 404, caching nothing', async () => {
    const heapBefore = await heap();
    const names = Array.from(
      { length: 10_000 },
      (_, i) => `${i % 2 ? 'client' : 'demo'}/x-${i}-${randomUUID()}.ts`,
    );
    for (let i = 0; i < names.length; i += 100) {
      const statuses = await Promise.all(
        names.slice(i, i + 100).map(async (n) => (await fetch(`${gw.url}/${n}`)).status),
      );
      expect(new Set(statuses)).toEqual(new Set([404]));
    }
    expect((await fetch(`${gw.url}/client/stream-client.ts`)).status).toBe(200);
    expect((await fetch(`${gw.url}/client/sequence-tracker.test.ts`)).status).toBe(404);
    const heapAfter = await heap();
    // The same 10,000 names cached took ~115 MB of heap before (4,000: 31 → 77 MB); what
    // remains is garbage not yet collected.
    expect(heapAfter - heapBefore).toBeLessThan(80 * MiB);
    expect(gw.alive()).toBe(true);
    console.log(
      `10,000 unknown asset names: heap ${(heapBefore / MiB).toFixed(0)} → ${(heapAfter / MiB).toFixed(0)} MiB`,
    );
  });
});
