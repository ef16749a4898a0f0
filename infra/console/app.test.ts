import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import type { KafkaClient } from '../../core/kafka/index.ts';
import type { SchemaRegistry } from '../../core/schema-registry.ts';
import { mintToken } from '../../realtime/server/auth.ts';
import type { Actions } from './actions.ts';
import { createConsoleApp } from './app.ts';
import { createOpsAuth } from './ops-auth.ts';
import { createScraper } from './scraper.ts';

// The HTTP surface with a fake of the console's own actions: who may act, and what is refused
// before anything runs. The actions themselves run against the stack in console.int.test.ts.
const secret = 'a-test-secret-of-enough-length';
type Err = { error: { code: string; issues: string[] } };
const calls: unknown[] = [];
const actions: Actions = {
  replay: async (r) => {
    calls.push(r);
    return { group: r.group, replayed: 0, failed: false, plans: [], reports: [], lines: [] };
  },
  releaseKey: async (r) => {
    calls.push(r);
    return { result: 'not-blocked' };
  },
};
const views = {
  config: loadConfig({}),
  kafka: {} as KafkaClient,
  registry: {} as SchemaRegistry,
  scraper: createScraper({ targets: [] }),
  knownGroups: [],
};
const app = (requireTokenForReads = false) =>
  createConsoleApp({ views, actions, auth: createOpsAuth({ secret }), requireTokenForReads });

const post = (path: string, body: unknown, token?: string) =>
  app().request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const ops = (o: string[], extra: Partial<Parameters<typeof mintToken>[0]> = {}) =>
  mintToken({ secret, subject: 'alice', patterns: [], ops: o, ...extra });

describe('ops console HTTP', () => {
  it('refuses an action without a token (401) and changes nothing', async () => {
    calls.length = 0;
    const res = await post('/api/dlq/replay', { group: 'notifications' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as Err).error).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(calls).toEqual([]);
  });

  it.each([
    ['a forged signature', async () => (await ops(['*'])).replace(/.{4}$/, 'AAAA')],
    [
      'another key',
      () => mintToken({ secret: 'another-secret-of-enough-len', subject: 'x', patterns: [], ops: ['*'] }),
    ],
    ['an expired token', () => ops(['*'], { ttlSeconds: -10 })],
    ['alg none', async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.`],
    ['garbage', async () => 'not-a-jwt'],
  ])('refuses %s (401)', async (_what, token) => {
    calls.length = 0;
    const res = await post('/api/dlq/release-key', { group: 'g', topic: 't', key: 'k' }, await token());
    expect(res.status).toBe(401);
    expect(calls).toEqual([]);
  });

  it('refuses a valid token without the action in its ops claim (403)', async () => {
    calls.length = 0;
    const realtime = await mintToken({ secret, subject: 'u1', patterns: ['hotel:1'] });
    const r1 = await post('/api/dlq/replay', { group: 'g' }, realtime);
    expect(r1.status).toBe(403);
    expect(((await r1.json()) as Err).error).toMatchObject({ code: 'FORBIDDEN_ACTION' });
    const r2 = await post('/api/dlq/replay', { group: 'g' }, await ops(['dlq:release-key']));
    expect(r2.status).toBe(403);
    expect(calls).toEqual([]);
  });

  it('runs an action the token grants, after validating it', async () => {
    calls.length = 0;
    const res = await post('/api/dlq/replay', { group: 'notifications' }, await ops(['dlq:replay']));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ operator: 'alice', group: 'notifications', replayed: 0 });
    expect(calls).toEqual([{ group: 'notifications' }]);
  });

  it('names what is wrong with a hostile body (400), and refuses a huge one (413)', async () => {
    calls.length = 0;
    const token = await ops(['*']);
    const bad = await post(
      '/api/dlq/release-key',
      { group: 'g;drop', topic: 't', key: 'a\nb', extra: 1 },
      token,
    );
    expect(bad.status).toBe(400);
    const { error } = (await bad.json()) as Err;
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.issues.join('\n')).toMatch(/group may hold only/);
    expect(error.issues.join('\n')).toMatch(/control characters/);
    expect(error.issues.join('\n')).toMatch(/extra/);
    expect((await post('/api/dlq/replay', '{not json', token)).status).toBe(400);
    expect((await post('/api/dlq/replay', { group: 'g', topic: 'x'.repeat(20_000) }, token)).status).toBe(
      413,
    );
    expect(calls).toEqual([]);
  });

  it('serves the page and the libraries it imports, and nothing outside its list', async () => {
    const page = await app().request('/');
    expect(await page.text()).toContain('importmap');
    for (const path of [
      '/app.js',
      '/charts.js',
      '/vendor/preact.js',
      '/vendor/preact-hooks.js',
      '/vendor/htm.js',
      '/vendor/uplot.js',
    ]) {
      const res = await app().request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/javascript/);
    }
    expect((await app().request('/vendor/../../package.json')).status).toBe(404);
    expect((await app().request('/asyncapi.yaml')).status).toBe(200);
  });

  it('opens the views without a token by default, and not with CONSOLE_REQUIRE_TOKEN', async () => {
    expect((await app().request('/api/series')).status).toBe(200);
    expect((await app(true).request('/api/series')).status).toBe(401);
    const reader = await ops(['read']);
    expect(
      (await app(true).request('/api/series', { headers: { authorization: `Bearer ${reader}` } })).status,
    ).toBe(200);
    expect((await app().request('/api/groups?show=-1')).status).toBe(400);
  });
});
