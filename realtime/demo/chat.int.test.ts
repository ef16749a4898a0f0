import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { launchChromium } from '../../test/browser.ts';
import { mintToken } from '../server/auth.ts';
import { type Gateway, startGateway } from '../server/gateway.ts';

// Two users in Debian's Chromium on the demo page: typing indicators go from one to the other
// through POST /v1/publish → Kafka (ephemeral.chat) → the gateway → the other's stream; the
// "Online" panel lists both through GET /v1/presence and follows presence events.

const config = loadConfig(process.env);
const secret = 'test-secret-for-the-chat-demo-suite';
let gateway: Gateway;
let browser: Browser;

beforeAll(async () => {
  gateway = await startGateway({
    port: 0,
    kafka: config.kafka,
    registryUrl: config.registry.url,
    redisUrl: config.redis.url,
    auth: { secret },
    heartbeatMs: 1_000,
    retryMs: 300,
    presenceTtlMs: 3_000,
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
});

async function open(me: string, other: string, hotel: string): Promise<{ page: Page; errors: string[] }> {
  const token = await mintToken({
    secret,
    subject: me,
    patterns: [`user:${me}`, `hotel:${hotel}`],
    publish: [`user:${other}`],
    presence: [`hotel:${hotel}`],
  });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${gateway.port}/demo/?channels=user:${me},hotel:${hotel}&token=${token}`);
  await page.waitForSelector('#status[data-status="open"]', { timeout: 60_000 });
  return { page, errors };
}

describe('demo page in Chromium: typing indicators and who is online', () => {
  it('shows the other user typing, then stopped, and both users online until one leaves', async () => {
    const [ada, bob, hotel] = [
      `ada-${randomUUID().slice(0, 8)}`,
      `bob-${randomUUID().slice(0, 8)}`,
      `h-${randomUUID().slice(0, 8)}`,
    ];
    const a = await open(ada, bob, hotel);
    const b = await open(bob, ada, hotel);

    // Ada's page learns of Bob through the presence.joined event of his first stream.
    await a.page.waitForSelector(`#online li[data-subject="${bob}"]`, { timeout: 30_000 });
    await b.page.waitForSelector(`#online li[data-subject="${ada}"]`, { timeout: 30_000 });

    await a.page.fill('#to', bob);
    await a.page.type('#message', 'hello');
    await b.page.waitForSelector(`#typing[data-typing="${ada}"]`, { timeout: 30_000 });
    expect(await b.page.textContent('#typing')).toBe(`${ada} is typing…`);
    // 3 s after the last key, "stopped" clears it.
    await b.page.waitForSelector('#typing[data-typing=""]', { timeout: 30_000 });
    // Nobody typed at Ada.
    expect(await a.page.getAttribute('#typing', 'data-typing')).toBe('');

    await b.page.close();
    await a.page.waitForSelector(`#online li[data-subject="${bob}"]`, { state: 'detached', timeout: 30_000 });
    expect(await a.page.$$eval('#online li', (items) => items.map((li) => li.textContent))).toEqual([
      `${ada} on hotel:${hotel} (1 stream)`,
    ]);
    expect(await a.page.$$('#notices li.notice')).toHaveLength(0);
    expect([...a.errors, ...b.errors]).toEqual([]);
    await a.page.close();
  });
});
