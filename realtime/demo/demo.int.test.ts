import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { waitFor } from '../../core/wait.ts';
import { launchChromium } from '../../test/browser.ts';
import { createEventWriter } from '../../test/realtime-events.ts';
import { openSse } from '../../test/sse-reader.ts';
import { startTcpProxy, type TcpProxy } from '../../test/tcp-proxy.ts';
import { mintToken } from '../server/auth.ts';
import { type Gateway, startGateway } from '../server/gateway.ts';

// A real browser (Debian's Chromium, never a downloaded one) runs the demo page, which uses the
// typed client on the browser's own EventSource. The network is cut by a TCP proxy between
// the browser and the gateway.

const config = loadConfig(process.env);
const secret = 'test-secret-for-the-demo-suite';
const writer = createEventWriter(config);
let gateway: Gateway;
let proxy: TcpProxy;
let browser: Browser;

beforeAll(async () => {
  gateway = await startGateway({
    port: 0,
    kafka: config.kafka,
    registryUrl: config.registry.url,
    auth: { secret },
    heartbeatMs: 1_000,
    retryMs: 300,
  });
  proxy = await startTcpProxy(gateway.port);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await gateway?.close();
  await writer.close();
});

const feed = (page: Page) =>
  page.$$eval('#feed li', (items) =>
    items.map((li) => {
      const d = (li as unknown as { dataset: Record<string, string> }).dataset;
      return { id: d.id, type: d.type, sequence: Number(d.sequence) };
    }),
  );

describe('demo page in Chromium', () => {
  it('shows events in order, and after a network cut shows the missed ones once each, in order', async () => {
    const [hotel, booking] = [writer.id('h'), writer.id('b')];
    const token = await mintToken({ secret, subject: 'guest', patterns: [`booking:${booking}`] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${proxy.port}/demo/?channels=booking:${booking}&token=${token}`);
    await page.waitForSelector('#status[data-status="open"]', { timeout: 60_000 });

    await writer.booking(hotel, booking, 3);
    await waitFor(async () => (await feed(page)).length === 3, { timeoutMs: 60_000, what: 'three events' });
    expect((await feed(page)).map((e) => e.sequence)).toEqual([1, 2, 3]);

    // Cut the network; events committed meanwhile must arrive after the page reconnects.
    const observer = await openSse(
      `http://127.0.0.1:${gateway.port}/v1/stream?channels=booking:${booking}&token=${token}`,
    );
    proxy.cut();
    await page.waitForSelector('#status[data-status="reconnecting"]', { timeout: 30_000 });
    const more = await writer.booking(hotel, booking, 4);
    await observer.until(() => observer.events().length === 4, 'the gateway to read the new events');
    observer.close();
    proxy.open();

    await waitFor(async () => (await feed(page)).length >= 7, {
      timeoutMs: 60_000,
      what: 'the missed events',
    });
    const shown = await feed(page);
    expect(shown.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(shown.map((e) => e.id)).size).toBe(7);
    expect(shown.slice(3).map((e) => e.id)).toEqual(more.map((m) => m.eventId));
    expect(await page.textContent('#duplicates')).toBe('0');
    expect(await page.$$('#notices li.notice')).toHaveLength(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
