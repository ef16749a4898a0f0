import type { Logger } from 'pino';
import type { GroupDefinition } from '../../consumers/runtime/run-group.ts';
import type { OutstreamConfig } from '../../core/config.ts';
import { withClient } from '../../core/db.ts';
import { InvalidArgumentError } from '../../core/errors.ts';
import type { KafkaClient } from '../../core/kafka/index.ts';
import type { SchemaRegistry } from '../../core/schema-registry.ts';
import { releaseKey } from '../ops/blocked-keys.ts';
import { describeBlockKey, describeReport, planReplay, runReplay } from '../ops/dlq-replay.ts';
import { resolveDefinition } from '../ops/group-definition.ts';
import type { ReleaseKeyRequest, ReplayRequest } from './requests.ts';

/** What the actions need: the same as `npm run dlq -- replay` and `release-key`. */
export interface ActionDeps {
  config: OutstreamConfig;
  env: Record<string, string | undefined>;
  kafka: KafkaClient;
  registry: SchemaRegistry;
  /** Whose handlers replay a group's dead letters (the platform's: consumers/runtime/groups.ts). */
  definitions: Readonly<Record<string, GroupDefinition>>;
  logger: Logger;
}

/** A replay that is already running for the group (HTTP 409). */
export class ReplayRunningError extends InvalidArgumentError {
  constructor(group: string) {
    super([`a replay of ${group}'s dead letters is already running; wait for it to finish`]);
  }
}

/**
 * Replays dead letters from the console: at most one replay per group at a time. The same
 * plan and replay as `npm run dlq -- replay --group g --yes` (infra/ops/dlq-replay.ts).
 */
export function createActions(deps: ActionDeps) {
  const replaying = new Set<string>();
  return {
    async replay(r: ReplayRequest) {
      const definition = resolveDefinition(deps.definitions, r.group);
      if (replaying.has(r.group)) throw new ReplayRunningError(r.group);
      replaying.add(r.group);
      try {
        const plans = await planReplay(deps.kafka, r.group, { topic: r.topic, fromStart: r.fromStart });
        const total = plans.reduce((n, p) => n + p.count, 0);
        if (total === 0) return { group: r.group, replayed: 0, failed: false, plans, reports: [], lines: [] };
        const outcome = await runReplay({
          ...deps,
          group: r.group,
          definition,
          plans,
          fromStart: r.fromStart,
        });
        const count = (o: string) =>
          outcome.reports.reduce((n, x) => n + x.records.filter((y) => y.outcome === o).length, 0);
        return {
          group: r.group,
          replayed: outcome.reports.reduce((n, x) => n + x.records.length, 0),
          processed: count('processed'),
          skipped: count('skipped'),
          deadLetteredAgain: count('dead-lettered'),
          failed: outcome.failed,
          plans,
          lines: [
            ...outcome.reports.flatMap(describeReport),
            ...(outcome.blockKey ? describeBlockKey(r.group, outcome.blockKey) : []),
          ],
          readyToRelease: outcome.blockKey?.ready ?? [],
        };
      } finally {
        replaying.delete(r.group);
      }
    },

    /** Releases a blocked key (`npm run dlq -- release-key`): refused while it has dead letters to replay. */
    releaseKey(r: ReleaseKeyRequest) {
      return withClient(deps.config.database.url, (db) => releaseKey(db, deps.kafka, r));
    },
  };
}

/** The actions {@link createActions} returns. */
export type Actions = ReturnType<typeof createActions>;
