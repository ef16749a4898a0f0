import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Consumer,
  defineConsumer,
  type Handlers,
  serveHealth,
} from '../../consumers/framework/index.ts';
import {
  createTopic,
  deleteTopics,
  eventMessage,
  produce,
  withAdmin,
} from '../../consumers/framework/test-fixtures/kafka.ts';
import type { GroupDefinition } from '../../consumers/runtime/run-group.ts';
import { createKafka, deadLetterTopic, replayCursorGroup } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { createSchemaIds } from '../../producers/index.ts';
import { mintToken } from '../../realtime/server/auth.ts';
import { samples } from '../../schemas/index.ts';
import { launchChromium } from '../../test/browser.ts';
import { loadConsoleConfig } from './options.ts';
import { type RunningConsole, startConsole } from './server.ts';

// The console as an operator uses it, in Debian's Chromium against the real stack: a group's
// lag rises on the page while it is stopped and falls once it runs again; a dead letter shows
// up decoded and is replayed from the page; the replay is refused without an operator token.
const cfg = loadConsoleConfig({ ...process.env, CONSOLE_PORT: '0', CONSOLE_SCRAPE_INTERVAL_MS: '1000' });
const kafka = createKafka(cfg.config.kafka);
const registry = createSchemaRegistry({ url: cfg.config.registry.url });
const silent = pino({ level: 'silent' });
const run = randomUUID().slice(0, 8);
const topic = `test.console.${run}`;
const group = `test-console-${run}`;
const dlq = deadLetterTopic(topic, group);
const failingKey = `failing-${run}`;
const retry = { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 };

let broken = true;
const handled: string[] = [];
const handlers: Handlers = {
  'booking.created': async (e) => {
    if (broken && e.aggregateId === failingKey) throw new Error(`handler broken for ${e.aggregateId}`);
    handled.push(e.aggregateId);
  },
};
/** The test group as the console's replay resolves it (as consumers/runtime/groups.ts lists the real ones). */
const definition: GroupDefinition = {
  name: group,
  healthPort: 0,
  startAt: 'beginning',
  build: async () => ({ options: { handlers, retry }, close: async () => {} }),
};

let schemaId: number;
let healthPort: number;
let consoleApp: RunningConsole;
let browser: Browser;
let page: Page;
let consumer: Consumer | undefined;
let health: { port: number; close(): Promise<void> } | undefined;

async function startConsumer(port: number) {
  consumer = defineConsumer({
    group,
    kafka,
    registry,
    logger: silent,
    fromBeginning: true,
    topicNames: { 'events.booking': topic },
    retry,
    handlers,
  });
  await consumer.start();
  health = await serveHealth([consumer], { port, hostname: '127.0.0.1' });
  return health.port;
}

async function stopConsumer() {
  await health?.close();
  await consumer?.stop();
  consumer = undefined;
}

const events = (keyPrefix: string, n: number) =>
  Array.from({ length: n }, (_, i) =>
    eventMessage(
      'booking.created',
      `${keyPrefix}-${i}`,
      1,
      { ...samples['booking.created'], reference: `${keyPrefix}-${i}` },
      schemaId,
    ),
  );

/** The number a `data-*` attribute of the element holds, once the page shows it. */
async function shown(testid: string, attribute: string): Promise<number | undefined> {
  const v = await page
    .locator(`[data-testid="${testid}"]`)
    .first()
    .getAttribute(attribute, { timeout: 1_000 })
    .catch(() => null);
  return v === null ? undefined : Number(v);
}

async function pageShows(testid: string, attribute: string, ok: (n: number) => boolean, what: string) {
  await waitFor(
    async () => {
      const n = await shown(testid, attribute);
      return n !== undefined && ok(n);
    },
    { timeoutMs: 60_000, intervalMs: 250, what },
  );
}

beforeAll(async () => {
  schemaId = await createSchemaIds(registry).idFor('booking.created');
  await createTopic(kafka, topic, 2);
  healthPort = await startConsumer(0);
  consoleApp = await startConsole({
    ...cfg,
    env: process.env,
    definitions: { [group]: definition },
    targets: [{ name: group, url: `http://127.0.0.1:${healthPort}`, metrics: true }],
    logger: silent,
  });
  browser = await launchChromium();
  page = await browser.newPage();
  // Test groups are listed with ?all=1 (as `npm run lag -- --all`).
  await page.goto(`${consoleApp.url}?all=1`);
});

afterAll(async () => {
  await stopConsumer().catch(() => {});
  await browser?.close();
  await consoleApp?.close();
  await deleteTopics(kafka, [topic, dlq]).catch(() => {});
  await withAdmin(kafka, (admin) => admin.deleteGroups([group, replayCursorGroup(group)])).catch(() => {});
});

describe('ops console in Chromium', () => {
  it("shows a group's lag rising while it is stopped and falling once it runs again, and its throughput", async () => {
    await produce(kafka, topic, events(`warm-${run}`, 5));
    await waitFor(() => handled.length >= 5, {
      timeoutMs: 60_000,
      what: 'the group to handle the first events',
    });
    await pageShows(`group-${group}`, 'data-lag', (n) => n === 0, 'the page to show the group with no lag');

    await stopConsumer();
    await produce(kafka, topic, events(`stopped-${run}`, 40));
    await pageShows(
      `group-${group}`,
      'data-lag',
      (n) => n >= 40,
      'the page to show the lag of the stopped group',
    );
    expect(await page.locator(`[data-testid="group-${group}"]`).getAttribute('data-state')).not.toBe(
      'Stable',
    );

    await startConsumer(healthPort);
    await pageShows(`group-${group}`, 'data-lag', (n) => n === 0, 'the page to show the lag back at 0');
    // The scraped metrics plot what the restarted group handled.
    await pageShows(
      `throughput-${group}`,
      'data-points',
      (n) => n >= 2,
      'the throughput plot to have points',
    );
    expect(await page.locator(`[data-testid="throughput-${group}"] canvas`).count()).toBe(1);
  });

  it('shows a dead letter decoded, refuses its replay without an operator token, and replays it with one', async () => {
    await produce(kafka, topic, [
      eventMessage(
        'booking.created',
        failingKey,
        1,
        { ...samples['booking.created'], reference: `ref-${run}` },
        schemaId,
      ),
    ]);
    await pageShows(`dlq-${dlq}`, 'data-pending', (n) => n === 1, 'the page to show the dead letter');
    const letter = page.locator(`[data-testid="dlq-${dlq}"] tr.letter`).first();
    await waitFor(async () => (await letter.textContent())?.includes(`ref-${run}`) ?? false, {
      timeoutMs: 30_000,
      what: 'the decoded payload on the page',
    });
    const row = (await letter.textContent()) ?? '';
    expect(row).toContain('retries-exhausted');
    expect(row).toContain(`handler broken for ${failingKey}`);

    const replay = async () => {
      await page.locator(`[data-testid="replay-${dlq}"]`).click();
      await page.locator('[data-testid="confirm"]').click();
      const result = page.locator('[data-testid="action-result"]');
      await result.waitFor({ timeout: 120_000 });
      const status = await result.getAttribute('data-status');
      const text = await result.textContent();
      await result.locator('button').click();
      return { status, text };
    };

    // No token: refused, nothing replayed.
    const refused = await replay();
    expect(refused.status).toBe('401');
    expect(refused.text).toContain('UNAUTHORIZED');
    // A realtime token, without the ops claim: forbidden.
    const realtime = await mintToken({ secret: cfg.auth.secret!, subject: 'guest', patterns: ['*'] });
    await page.locator('[data-testid="token"]').fill(realtime);
    expect((await replay()).status).toBe('403');
    expect(await shown(`dlq-${dlq}`, 'data-pending')).toBe(1);

    broken = false;
    const operator = await mintToken({
      secret: cfg.auth.secret!,
      subject: 'alice',
      patterns: [],
      ops: ['dlq:replay'],
    });
    await page.locator('[data-testid="token"]').fill(operator);
    const done = await replay();
    expect(done.status).toBe('200');
    expect(done.text).toContain('replayed 1: 1 processed');
    expect(handled).toContain(failingKey);
    await pageShows(`dlq-${dlq}`, 'data-pending', (n) => n === 0, 'the page to show nothing left to replay');
  });
});
