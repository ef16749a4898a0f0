import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config.ts';
import { withClient } from '../core/db.ts';
import { ErrorCode, InvalidArgumentError, isOutstreamError } from '../core/errors.ts';
import { captureFlagOptions, captureFlagsUsage } from './outbox/capture-flags.ts';
import { connectorCommand } from './outbox/connector-command.ts';
import { pruneOutbox } from './outbox/slot.ts';
import { runMigrations, runTopicsApply, setupPlatform } from './setup.ts';
import { unappliedChanges } from './topics/plan.ts';

const usage = `usage: npm run infra -- <area> <command> [flags]   (--help: this text)
  setup                       migrations, topics, schemas and connector, in that order (idempotent)
  migrate                     apply pending migrations (infra/migrations/sql)
  topics plan                 show drift between infra/topics and the cluster
  topics apply [--allow-repartition]
                              create missing topics, fix configs; adding partitions to a keyed
                              topic moves keys (breaks their order) and needs the flag
  connector plan              what apply would change: config drift, a FAILED task to restart
                              (exit 3 when there is any)
  connector apply [--skip-failed-record]
                              create or update the outbox connector, restart a FAILED task, wait
                              until it runs and moves on (exit 1 if it fails again); with the
                              flag, the records Kafka refuses are dropped (lost, and named in
                              Connect's log) instead
  connector status [--max-slot-lag-mib N] [--max-slot-age-s N]
                              connector, task and replication slot: exit 1, naming the problem
                              and what to do, when a task FAILED, the slot is inactive or lags
                              (${captureFlagsUsage})
  connector restart           restart the connector and its task even when RUNNING (one that
                              publishes nothing); it resumes where it stopped, nothing skipped
  outbox prune [--older-than 1h] [--keys-older-than 7d]
                              delete retained outbox rows and old idempotency keys
  lag [--group g] [--all] [--summary] [--json]
                              per consumer group and partition: committed offset, log end, lag,
                              owner; group state and members (npm run lag)
  dlq list [--group g] [--topic t] [--show N] [--payload] [--all] [--json]
                              dead-letter topics, their counts and what is not replayed yet;
                              --show N decodes the last N of each (why, where from, which error)
  dlq replay --group g [--topic t] [--yes] [--dry-run] [--from-start] [--definition d] [--timeout 10m]
                              re-runs the group's dead letters through its own handlers (never
                              the source topic); without --yes only prints what it would replay
  dlq blocked [--group g]     keys held back by block-key groups (Postgres store)
  dlq release-key --group g --topic t --key k [--force]
                              releases a blocked key; refuses while it has dead letters to replay`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseFlags(argv);
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const config = loadConfig(process.env);
  const log = (l: string) => console.log(l);
  const [area, command] = positionals;
  switch (`${area} ${command ?? ''}`.trim()) {
    case 'setup':
      await setupPlatform(config, log);
      return 0;
    case 'migrate': {
      const done = await runMigrations(config);
      log(done.length > 0 ? `applied ${done.join(', ')}` : 'migrations: up to date');
      return 0;
    }
    case 'topics plan': {
      const changes = await runTopicsApply(config, { dryRun: true, log });
      return changes.length > 0 ? 3 : 0;
    }
    case 'topics apply': {
      const changes = await runTopicsApply(config, { allowRepartition: values['allow-repartition'], log });
      return unappliedChanges(changes, values['allow-repartition'] ?? false).length > 0 ? 3 : 0;
    }
    case 'connector plan':
    case 'connector apply':
    case 'connector status':
    case 'connector restart':
      return connectorCommand(command as 'plan' | 'apply' | 'status' | 'restart', config, values, log);
    case 'outbox prune': {
      // Arguments first: a bad one is a usage error whether or not the database answers.
      const ages = {
        olderThanMs: parseDuration(values['older-than'], 'older-than'),
        keysOlderThanMs: parseDuration(values['keys-older-than'], 'keys-older-than'),
      };
      const r = await withClient(config.database.url, (db) => pruneOutbox(db, ages));
      log(`outbox: deleted ${r.rows} rows and ${r.keys} idempotency keys`);
      return 0;
    }
    case 'lag':
      // Loaded on demand: the other commands need none of the consumer framework.
      return (await import('./ops/commands.ts')).lagCommand(config, values, log);
    case 'dlq list':
    case 'dlq replay':
    case 'dlq blocked':
    case 'dlq release-key': {
      const timeoutMs = values.timeout === undefined ? undefined : parseDuration(values.timeout, 'timeout');
      return (await import('./ops/commands.ts')).dlqCommand(command, config, { ...values, timeoutMs }, log);
    }
    default:
      console.error(usage);
      return 2;
  }
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        'allow-repartition': { type: 'boolean', default: false },
        'older-than': { type: 'string', default: '1h' },
        'keys-older-than': { type: 'string', default: '7d' },
        group: { type: 'string' },
        topic: { type: 'string' },
        key: { type: 'string' },
        show: { type: 'string' },
        definition: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean', default: false },
        all: { type: 'boolean', default: false },
        summary: { type: 'boolean', default: false },
        payload: { type: 'boolean', default: false },
        yes: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        'from-start': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        'skip-failed-record': { type: 'boolean', default: false },
        ...captureFlagOptions,
      },
    });
  } catch (e) {
    // node:util's parse errors (unknown flag, missing value) name the flag: pass them on typed.
    throw new InvalidArgumentError([e instanceof Error ? e.message : String(e)]);
  }
}

/**
 * `90s`, `15m`, `1h`, `7d` → milliseconds.
 *
 * @throws InvalidArgumentError naming the flag (a usage error: exit 2).
 */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!m)
    throw new InvalidArgumentError([
      `--${flag}: "${text}" is not a duration (a number and s, m, h or d, e.g. 90s, 1h, 7d)`,
    ]);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(isOutstreamError(e) ? e.message : e);
    process.exit(isOutstreamError(e, ErrorCode.invalidArgument) ? 2 : 1);
  },
);
