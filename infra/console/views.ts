import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { traceSummary } from '../../connect/connect-rest.ts';
import type { OutstreamConfig } from '../../core/config.ts';
import { withClient } from '../../core/db.ts';
import type { KafkaClient } from '../../core/kafka/index.ts';
import type { SchemaRegistry } from '../../core/schema-registry.ts';
import { hasBlockedKeyStore, listBlockedKeys } from '../ops/blocked-keys.ts';
import { listDeadLetters } from '../ops/dlq-list.ts';
import { readLag } from '../ops/lag.ts';
import { captureHealth } from '../outbox/capture-health.ts';
import { listSubjects } from '../schemas/governance.ts';
import { runTopicsApply } from '../setup.ts';
import { stackStatus } from '../stack/stack.ts';
import { describeChange } from '../topics/plan.ts';
import type { ViewQuery } from './requests.ts';
import type { Scraper } from './scraper.ts';

/** What the read-only views read from: the same modules as the CLIs. */
export interface ViewSources {
  config: OutstreamConfig;
  kafka: KafkaClient;
  registry: SchemaRegistry;
  scraper: Scraper;
  /** Groups the platform defines: listed as `not started` before they first join. */
  knownGroups: readonly string[];
}

/**
 * Stack components (`stack:status`), the processes the console scrapes, and capture
 * (`connector status`): connector and task states, the replication slot's lag in bytes and the
 * age of the newest change Connect committed.
 */
export async function overviewView(s: ViewSources) {
  const [components, capture] = await Promise.all([
    stackStatus(s.config),
    captureHealth({
      connectUrl: s.config.connect.url,
      connectorName: s.config.connect.connectorName,
      databaseUrl: s.config.database.url,
    }),
  ]);
  const { facts, problems } = capture;
  const status = typeof facts.status === 'object' && 'connector' in facts.status ? facts.status : undefined;
  const slot = typeof facts.slot === 'object' && 'retainedBytes' in facts.slot ? facts.slot : undefined;
  return {
    components,
    processes: s.scraper.health(),
    capture: {
      connector: facts.connector,
      state: status?.connector.state ?? (typeof facts.status === 'string' ? facts.status : 'unreachable'),
      tasks: (status?.tasks ?? []).map((t) => ({ id: t.id, state: t.state, trace: traceSummary(t.trace) })),
      slot: slot
        ? {
            name: facts.slotName,
            active: slot.active,
            retainedBytes: slot.retainedBytes,
            walStatus: slot.walStatus,
            ageMs:
              facts.committedChangeAt !== undefined && facts.now !== undefined
                ? Math.max(0, facts.now - facts.committedChangeAt)
                : null,
          }
        : { name: facts.slotName, missing: true },
      problems,
    },
  };
}

/** Each consumer group with its state, members and lag per partition (`npm run lag`). */
export function groupsView(s: ViewSources, q: ViewQuery) {
  return s.kafka.withAdmin((admin) =>
    readLag(admin, { group: q.group, all: q.all === '1', known: s.knownGroups }),
  );
}

/**
 * Dead-letter topics with their last dead letters decoded (`npm run dlq -- list --show N
 * --payload`), and the keys block-key groups hold back (`dlq blocked`).
 */
export async function deadLettersView(s: ViewSources, q: ViewQuery) {
  const [listing, blocked] = await Promise.all([
    listDeadLetters(s.kafka, {
      group: q.group,
      all: q.all === '1',
      show: q.show ?? 5,
      payloadsFrom: s.registry,
    }),
    withClient(s.config.database.url, async (db) =>
      (await hasBlockedKeyStore(db)) ? listBlockedKeys(db, q.group) : [],
    ),
  ]);
  return { ...listing, blocked };
}

/** Schema subjects with their compatibility level and versions (`npm run schemas -- list`). */
export async function schemasView(s: ViewSources) {
  return { registry: s.registry.url, subjects: await listSubjects(s.registry) };
}

/** Topic drift: what `npm run topics -- plan` shows (nothing is applied). */
export async function topicsView(s: ViewSources) {
  const changes = await runTopicsApply(s.config, { dryRun: true });
  return { changes: changes.map((c) => ({ kind: c.kind, text: describeChange(c) })) };
}

/** The AsyncAPI document `npm run asyncapi` generates (checked in, checked fresh by `npm test`). */
export const asyncApiPath = path.resolve(
  import.meta.dirname,
  '..',
  '..',
  'schemas',
  'asyncapi',
  'asyncapi.yaml',
);

/** The AsyncAPI document's text. */
export function asyncApiDocument(): Promise<string> {
  return readFile(asyncApiPath, 'utf8');
}
