import { type ApplyOptions, applyConnector } from '../connect/apply-connector.ts';
import { outboxConnectorConfig } from '../connect/outbox-connector.ts';
import type { OutstreamConfig } from '../core/config.ts';
import { withClient } from '../core/db.ts';
import { createKafka } from '../core/kafka/index.ts';
import { createSchemaRegistry } from '../core/schema-registry.ts';
import { aggregateTypes, ephemeralAggregateTypes } from '../schemas/index.ts';
import { migrate } from './migrations/migrate.ts';
import { catalogueSchemas, registerSchemas } from './schemas/governance.ts';
import { applyTopics } from './topics/apply.ts';
import { declaredTopics, topicDefaultsOf } from './topics/topics.ts';

/** Runs the migrations; returns the ids applied. */
export function runMigrations(config: OutstreamConfig): Promise<string[]> {
  return withClient(config.database.url, (client) => migrate(client));
}

/** Applies the declared topics (never repartitions keyed topics here). */
export async function runTopicsApply(
  config: OutstreamConfig,
  options: { dryRun?: boolean; allowRepartition?: boolean; log?: (l: string) => void } = {},
) {
  return createKafka(config.kafka).withAdmin((admin) =>
    applyTopics(
      admin,
      declaredTopics(aggregateTypes, topicDefaultsOf(config), ephemeralAggregateTypes),
      options,
    ),
  );
}

/** Registers (or updates) the outbox connector and waits for its task to run. */
export function runConnectorApply(config: OutstreamConfig, options: ApplyOptions = {}) {
  return applyConnector(
    config.connect.url,
    config.connect.connectorName,
    outboxConnectorConfig({ databaseUrl: config.connect.databaseUrl }),
    options,
  );
}

/**
 * Everything the platform needs on a running stack, in dependency order: tables (and the
 * publication) before the connector, topics before the connector publishes into them,
 * schemas before services emit.
 */
export async function setupPlatform(config: OutstreamConfig, log: (line: string) => void = () => {}) {
  const applied = await runMigrations(config);
  log(`migrations: ${applied.length > 0 ? `applied ${applied.join(', ')}` : 'up to date'}`);
  await runTopicsApply(config, { log });
  const registered = await registerSchemas(
    createSchemaRegistry({ url: config.registry.url }),
    catalogueSchemas(),
  );
  const changed = registered.filter((r) => r.change !== 'unchanged');
  log(
    `schemas: ${changed.length > 0 ? changed.map((r) => `${r.subject} → id ${r.id} (${r.change})`).join(', ') : 'up to date'}`,
  );
  const c = await runConnectorApply(config);
  log(
    `connector ${config.connect.connectorName}: ${c.action}${c.changedKeys.length && c.action === 'updated' ? ` (${c.changedKeys.join(', ')})` : ''}${c.failed.length ? ` (restarted ${c.failed.map((f) => f.instance).join(', ')})` : ''}`,
  );
}
