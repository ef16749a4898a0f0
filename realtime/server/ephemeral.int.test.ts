import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { waitFor } from '../../core/wait.ts';
import { openSse, type SseReader } from '../../test/sse-reader.ts';
import { startTcpProxy, type TcpProxy } from '../../test/tcp-proxy.ts';
import { type MintOptions, mintToken } from './auth.ts';
import { type GatewayChild, startGatewayChild } from './gateway-child.ts';

// Two gateway nodes as child processes (as `npm run sse` runs them) on the real stack: Kafka
// for the ephemeral topics, Redis for presence. A third node reaches Redis through a TCP
// proxy, so its Redis can be cut without touching the stack's.

const config = loadConfig(process.env);
const secret = 'test-secret-for-the-ephemeral-suite';
const presenceTtlMs = 3_000;
const env = {
  SSE_JWT_SECRET: secret,
  SSE_HEARTBEAT_MS: '1000',
  SSE_DRAIN_MS: '100',
  SSE_PRESENCE_TTL_MS: String(presenceTtlMs),
  SSE_PUBLISH_RATE: '5',
  SSE_PRESENCE_RATE: '4',
  SSE_PUBLISH_MAX_BYTES: '4096',
};
let a: GatewayChild;
let b: GatewayChild;
const open: SseReader[] = [];

const token = (subject: string, o: Partial<MintOptions>) =>
  mintToken({ secret, subject, patterns: [], ...o } as MintOptions);

async function stream(node: GatewayChild, channels: string[], t: string): Promise<SseReader> {
  const r = await openSse(`${node.url}/v1/stream?channels=${channels.join(',')}&token=${t}`);
  expect(r.status).toBe(200);
  await r.until((f) => f.some((x) => x.event === 'checkpoint'), 'the first checkpoint');
  open.push(r);
  return r;
}

async function publish(node: GatewayChild, t: string | undefined, body: unknown) {
  const res = await fetch(`${node.url}/v1/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(t ? { authorization: `Bearer ${t}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function members(node: GatewayChild, channel: string, t: string) {
  const res = await fetch(`${node.url}/v1/presence?channel=${encodeURIComponent(channel)}&token=${t}`);
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as { members?: { subject: string; connections: number }[]; error?: string },
  };
}

const typed = (r: SseReader, type: string) => r.events().filter((e) => e.type === type);

beforeAll(async () => {
  // One after the other: two JIT-compiling starts at once are slow on a 2-core machine.
  a = await startGatewayChild(env);
  b = await startGatewayChild(env);
}, 300_000);
afterAll(async () => {
  for (const r of open) r.close();
  await Promise.all([a?.stop(), b?.stop()]);
});

describe('ephemeral events', () => {
  it('carries typing indicators between two users on different nodes, as the token subject', async () => {
    const [ada, bob] = [`ada-${randomUUID()}`, `bob-${randomUUID()}`];
    const adaToken = await token(ada, { patterns: [`user:${ada}`], publish: [`user:${bob}`] });
    const bobToken = await token(bob, { patterns: [`user:${bob}`], publish: [`user:${ada}`] });
    const adaStream = await stream(a, [`user:${ada}`], adaToken);
    const bobStream = await stream(b, [`user:${bob}`], bobToken);
    const conversationId = randomUUID();

    const sent = await publish(a, adaToken, {
      type: 'chat.typing',
      payload: { conversationId, recipientIds: [bob], typing: true },
    });
    expect(sent).toMatchObject({ status: 202, body: { type: 'chat.typing', channels: [`user:${bob}`] } });
    await bobStream.until(() => typed(bobStream, 'chat.typing').length === 1, 'ada typing, at bob');
    expect(typed(bobStream, 'chat.typing')[0]!.data).toMatchObject({
      id: sent.body.id,
      channel: `user:${bob}`,
      aggregateType: 'chat',
      aggregateId: conversationId,
      sequence: 0,
      actor: ada,
      payload: { conversationId, recipientIds: [bob], typing: true },
    });

    await publish(b, bobToken, {
      type: 'chat.typing',
      payload: { conversationId, recipientIds: [ada], typing: true },
    });
    await publish(b, bobToken, {
      type: 'chat.typing',
      payload: { conversationId, recipientIds: [ada], typing: false },
    });
    await adaStream.until(
      () => typed(adaStream, 'chat.typing').length === 2,
      'bob typing then stopping, at ada',
    );
    expect(
      typed(adaStream, 'chat.typing').map((e) => [
        e.data.actor,
        (e.data.payload as { typing: boolean }).typing,
      ]),
    ).toEqual([
      [bob, true],
      [bob, false],
    ]);
    // The typist's own stream never gets its indicator.
    expect(typed(adaStream, 'chat.typing').every((e) => e.data.actor === bob)).toBe(true);
  });

  it("refuses a publish outside the token's publish claim with 403, and nothing reaches that channel", async () => {
    const [ada, eve, bob] = [`ada-${randomUUID()}`, `eve-${randomUUID()}`, `bob-${randomUUID()}`];
    const adaToken = await token(ada, { patterns: [`user:${ada}`], publish: [`user:${bob}`] });
    const eveStream = await stream(a, [`user:${eve}`], await token(eve, { patterns: [`user:${eve}`] }));
    const payload = { conversationId: randomUUID(), recipientIds: [bob, eve], typing: true };
    expect(await publish(a, adaToken, { type: 'chat.typing', payload })).toMatchObject({
      status: 403,
      body: { error: 'FORBIDDEN_CHANNEL', channels: [`user:${eve}`] },
    });
    // A token with no publish claim at all, and one whose subscribe claim covers the channel.
    const subscribeOnly = await token(ada, { patterns: [`user:${eve}`, '*'] });
    expect((await publish(a, subscribeOnly, { type: 'chat.typing', payload })).status).toBe(403);
    // A later allowed event reaches eve, and it is the only one she got.
    const ok = await token(ada, { publish: [`user:${eve}`] });
    await publish(a, ok, {
      type: 'chat.read',
      payload: { conversationId: payload.conversationId, recipientIds: [eve], messageId: 'm1' },
    });
    await eveStream.until(() => eveStream.events().length === 1, 'the allowed receipt');
    expect(eveStream.events().map((e) => e.type)).toEqual(['chat.read']);
  });

  it('answers hostile publishes with typed 4xx errors, and stays up without logging errors', async () => {
    const bob = `bob-${randomUUID()}`;
    const ok = await token('mallory', { publish: ['user:*'] });
    const payload = { conversationId: 'c', recipientIds: [bob], typing: true };
    const cases: [unknown, number, string][] = [
      ['{"type": "chat.typing", ', 400, 'MALFORMED_BODY'],
      ['[1, 2]', 400, 'MALFORMED_BODY'],
      ['null', 400, 'MALFORMED_BODY'],
      [
        { type: 'chat.typing', payload: { ...payload, conversationId: 'x'.repeat(5000) } },
        400,
        'BODY_TOO_LARGE',
      ],
      [{ type: 'chat.teleported', payload }, 400, 'UNKNOWN_EVENT_TYPE'],
      [{ type: { toString: 1 }, payload }, 400, 'UNKNOWN_EVENT_TYPE'],
      [{ type: '__proto__', payload }, 400, 'UNKNOWN_EVENT_TYPE'],
      [{ type: 'booking.created', payload }, 400, 'UNPUBLISHABLE_TYPE'],
      [{ type: 'presence.joined', payload }, 400, 'UNPUBLISHABLE_TYPE'],
      [
        { type: 'chat.typing', payload: { ...payload, typing: 'yes', recipientIds: 'bob' } },
        400,
        'INVALID_EVENT',
      ],
      [{ type: 'chat.typing' }, 400, 'INVALID_EVENT'],
      [{ type: 'chat.typing', payload: { ...payload, conversationId: 'a\u0000b' } }, 400, 'INVALID_EVENT'],
    ];
    for (const [i, [body, status, error]] of cases.entries()) {
      // One subject per case: the rate limit is not what answers here.
      const res = await publish(b, await token(`mallory-${i}`, { publish: ['user:*'] }), body);
      expect({ sent: body, ...res }).toMatchObject({ status, body: { error } });
    }
    const invalid = await publish(b, ok, { type: 'chat.typing', payload: { ...payload, typing: 'yes' } });
    expect(invalid.body.issues).toEqual([expect.objectContaining({ path: 'payload.typing' })]);
    expect((await publish(b, undefined, { type: 'chat.typing', payload })).status).toBe(401);
    expect((await publish(b, `${ok.slice(0, -4)}AAAA`, { type: 'chat.typing', payload })).status).toBe(401);
    expect(
      (await publish(b, await token('', { publish: ['*'] }), { type: 'chat.typing', payload })).status,
    ).toBe(403);
    // The rate limit: 5 per second per subject, then 429 with Retry-After.
    const started = Date.now();
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => publish(b, ok, { type: 'chat.typing', payload })),
    );
    const seconds = Math.ceil((Date.now() - started) / 1000);
    const limited = burst.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.body.error).toBe('PUBLISH_RATE_LIMIT');
    expect(burst.filter((r) => r.status === 202).length).toBeLessThanOrEqual(5 * (seconds + 1));
    // Presence queries: malformed channel, no presence claim.
    expect((await members(b, 'hotel:<script>', ok)).status).toBe(400);
    expect((await members(b, 'hotel:1', ok)).status).toBe(403);
    // A client polling presence in a loop: 4 reads per second per subject, then 429.
    const watcher = await token('poller', { presence: ['hotel:*'] });
    const polledAt = Date.now();
    const polls = await Promise.all(Array.from({ length: 16 }, () => members(b, 'hotel:1', watcher)));
    const pollSeconds = Math.ceil((Date.now() - polledAt) / 1000);
    const throttled = polls.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled[0]!.body.error).toBe('PRESENCE_RATE_LIMIT');
    expect(Number(throttled[0]!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(polls.filter((r) => r.status === 200).length).toBeLessThanOrEqual(4 * (pollSeconds + 1));
    expect(b.alive()).toBe(true);
    expect(b.errors()).toEqual([]);
  });
});

describe('presence', () => {
  it('lists members across nodes, announces joins and leaves to presence members only', async () => {
    const hotel = `h-${randomUUID().slice(0, 8)}`;
    const channel = `hotel:${hotel}`;
    const grant = { patterns: [channel], presence: [channel] };
    const watcherToken = await token('watcher', grant);
    const watcher = await stream(a, [channel], watcherToken);
    // Subscribed, but no presence claim: neither a member nor told about members.
    const outsider = await stream(a, [channel], await token('outsider', { patterns: [channel] }));
    await waitFor(async () => (await members(a, channel, watcherToken)).body.members?.length === 1, {
      what: 'the watcher listed',
      timeoutMs: 10_000,
    });

    const m1 = await token('m1', grant);
    const onB = await stream(b, [channel], m1);
    await watcher.until(
      () =>
        typed(watcher, 'presence.joined').some(
          (e) => e.data.actor !== undefined && (e.data.payload as { subject: string }).subject === 'm1',
        ),
      'm1 joined',
    );
    const onA = await stream(a, [channel], m1);
    await waitFor(
      async () =>
        JSON.stringify((await members(b, channel, watcherToken)).body.members) ===
        JSON.stringify([
          { subject: 'm1', connections: 2 },
          { subject: 'watcher', connections: 1 },
        ]),
      { what: 'm1 with two streams on two nodes, seen from node b', timeoutMs: 10_000 },
    );
    onA.close();
    await waitFor(
      async () =>
        (await members(a, channel, watcherToken)).body.members?.find((m) => m.subject === 'm1')
          ?.connections === 1,
      { what: 'm1 down to one stream', timeoutMs: 10_000 },
    );
    onB.close();
    await watcher.until(
      () =>
        typed(watcher, 'presence.left').some((e) => (e.data.payload as { subject: string }).subject === 'm1'),
      'm1 left',
    );
    expect((await members(a, channel, watcherToken)).body.members).toEqual([
      { subject: 'watcher', connections: 1 },
    ]);
    // One join (the first stream) and one leave (the last), not one per stream.
    const about = (type: string) =>
      typed(watcher, type).filter((e) => (e.data.payload as { subject: string }).subject === 'm1').length;
    expect([about('presence.joined'), about('presence.left')]).toEqual([1, 1]);
    expect(outsider.events().filter((e) => e.type.startsWith('presence.'))).toEqual([]);
  });

  it('drops the members of a SIGKILLed node within the heartbeat TTL, announcing their leaves', async () => {
    const hotel = `h-${randomUUID().slice(0, 8)}`;
    const channel = `hotel:${hotel}`;
    const grant = { patterns: [channel], presence: [channel] };
    const watcherToken = await token('watcher', grant);
    const watcher = await stream(a, [channel], watcherToken);
    const victim = await startGatewayChild(env);
    try {
      await stream(victim, [channel], await token('doomed', grant));
      await waitFor(
        async () =>
          (await members(a, channel, watcherToken)).body.members?.some((m) => m.subject === 'doomed'),
        {
          what: 'doomed listed',
          timeoutMs: 10_000,
        },
      );
      const killedAt = Date.now();
      await victim.stop('SIGKILL');
      // The stated bound: the TTL (dropped from answers) plus a third of it (the next
      // heartbeat of a survivor reaps the node and announces the leaves), plus 2 s for this
      // machine's scheduling noise.
      const bound = presenceTtlMs + presenceTtlMs / 3 + 2_000;
      await waitFor(
        async () =>
          !(await members(a, channel, watcherToken)).body.members?.some((m) => m.subject === 'doomed'),
        { what: 'doomed gone from presence', timeoutMs: bound },
      );
      const goneMs = Date.now() - killedAt;
      await watcher.until(
        () =>
          typed(watcher, 'presence.left').some(
            (e) => (e.data.payload as { subject: string }).subject === 'doomed',
          ),
        'the left event of doomed',
        bound - goneMs,
      );
      console.log(
        `SIGKILLed node: members gone after ${goneMs} ms, left announced after ${Date.now() - killedAt} ms (TTL ${presenceTtlMs} ms)`,
      );
      expect(goneMs).toBeGreaterThan(0);
    } finally {
      await victim.stop('SIGKILL');
    }
  });

  it('degrades presence when Redis is unreachable, reported in /health, and recovers', async () => {
    const redisPort = Number(new URL(config.redis.url).port);
    const proxy: TcpProxy = await startTcpProxy(redisPort);
    const node = await startGatewayChild({ ...env, REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    try {
      const channel = `hotel:h-${randomUUID().slice(0, 8)}`;
      const t = await token('member', { patterns: [channel], presence: [channel] });
      const health = async () =>
        (await (await fetch(`${node.url}/health`)).json()) as Record<string, unknown>;
      expect((await health()).presence).toBe('ok');
      proxy.cut();
      await waitFor(async () => (await health()).presence !== 'ok', {
        what: 'presence degraded in /health',
        timeoutMs: 10_000,
      });
      // Streams carry on; presence answers 503; the process stays up.
      const s = await stream(node, [channel], t);
      expect((await fetch(`${node.url}/health`)).status).toBe(200);
      expect((await members(node, channel, t)).status).toBe(503);
      proxy.open();
      await waitFor(async () => (await health()).presence === 'ok', {
        what: 'presence back',
        timeoutMs: 20_000,
      });
      // The stream opened during the outage was written once Redis answered again.
      await waitFor(async () => (await members(a, channel, t)).body.members?.[0]?.subject === 'member', {
        what: 'the member rewritten after the outage',
        timeoutMs: 10_000,
      });
      s.close();
      expect(node.alive()).toBe(true);
      expect(node.errors()).toEqual([]);
    } finally {
      await node.stop();
      await proxy.close();
    }
  });
});
