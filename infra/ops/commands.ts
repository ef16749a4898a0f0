import { pino } from 'pino';
import type { OutstreamConfig } from '../../core/config.ts';
import { withClient } from '../../core/db.ts';
import { InvalidArgumentError } from '../../core/errors.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { hasBlockedKeyStore, listBlockedKeys, releaseKey } from './blocked-keys.ts';
import { formatDeadLetterListing, listDeadLetters, toJson } from './dlq-list.ts';
import { replayCommand } from './dlq-replay.ts';
import { resolveDefinition } from './group-definition.ts';
import { formatLag, readLag } from './lag.ts';
import { formatTable } from './table.ts';

/** The flags the ops commands read (parsed by infra/main.ts). */
export interface OpsFlags {
  group?: string;
  topic?: string;
  key?: string;
  show?: string;
  definition?: string;
  json?: boolean;
  all?: boolean;
  summary?: boolean;
  payload?: boolean;
  yes?: boolean;
  'dry-run'?: boolean;
  'from-start'?: boolean;
  force?: boolean;
  /** Parsed `--timeout`. */
  timeoutMs?: number;
}

type Log = (line: string) => void;

/**
 * `npm run lag [-- --group g] [--all] [--summary] [--json]`: exit 0; `--group` naming a group
 * the cluster has never seen and the platform does not define is a usage error (exit 2).
 */
export async function lagCommand(config: OutstreamConfig, flags: OpsFlags, log: Log): Promise<number> {
  const known = await knownGroups();
  const report = await createKafka(config.kafka).withAdmin((admin) =>
    readLag(admin, { group: flags.group, all: flags.all, known }),
  );
  if (
    flags.group !== undefined &&
    !known.includes(flags.group) &&
    report.groups[0]?.state === 'not started'
  ) {
    throw new InvalidArgumentError([
      `--group ${flags.group}: no such consumer group on the cluster (the platform's: ${known.join(', ')})`,
    ]);
  }
  if (flags.json) log(toJson(report, 2));
  else for (const l of formatLag(report, { details: !flags.summary })) log(l);
  return 0;
}

/** `npm run dlq -- <list|replay|release-key|blocked> …`. */
export async function dlqCommand(
  command: string | undefined,
  config: OutstreamConfig,
  flags: OpsFlags,
  log: Log,
): Promise<number> {
  const kafka = createKafka(config.kafka);
  switch (command) {
    case 'list': {
      const show = flags.show === undefined ? 0 : Number(flags.show);
      if (flags.show !== undefined && !(Number.isInteger(show) && show >= 1 && show <= 10_000))
        throw new InvalidArgumentError([
          `--show ${flags.show}: must be a number of dead letters from 1 to 10000`,
        ]);
      const listing = await listDeadLetters(kafka, {
        group: flags.group,
        topic: flags.topic,
        all: flags.all,
        show,
        payloadsFrom: flags.payload ? createSchemaRegistry({ url: config.registry.url }) : undefined,
      });
      if (flags.json) log(toJson(listing, 2));
      else for (const l of formatDeadLetterListing(listing)) log(l);
      return 0;
    }
    case 'replay': {
      if (flags.group === undefined)
        throw new InvalidArgumentError([
          'dlq replay: --group <group> is required (whose dead letters, whose handlers)',
        ]);
      const { groups } = await import('../../consumers/runtime/groups.ts');
      return replayCommand({
        config,
        env: process.env,
        kafka,
        registry: createSchemaRegistry({ url: config.registry.url }),
        group: flags.group,
        topic: flags.topic,
        definition: resolveDefinition(groups, flags.group, flags.definition),
        yes: Boolean(flags.yes) && !flags['dry-run'],
        fromStart: flags['from-start'],
        timeoutMs: flags.timeoutMs,
        // Handler and framework logs go to stderr; the report goes to stdout.
        logger: pino({ level: process.env.OUTSTREAM_LOG_LEVEL ?? 'warn' }, pino.destination(2)),
        log,
      });
    }
    case 'release-key': {
      const missing = (['group', 'topic', 'key'] as const).filter((f) => flags[f] === undefined);
      if (missing.length > 0)
        throw new InvalidArgumentError(missing.map((f) => `dlq release-key: --${f} is required`));
      const o = { group: flags.group!, topic: flags.topic!, key: flags.key!, force: flags.force };
      const r = await withClient(config.database.url, (db) => releaseKey(db, kafka, o));
      if (r.result === 'not-blocked') {
        log(`${o.group}: key ${o.key} of ${o.topic} is not blocked (nothing to do)`);
        return 0;
      }
      if (r.result === 'refused') {
        const where = r.pending.map((p) => `${p.partition}@${p.offset}`).join(', ');
        log(
          `${o.group}: key ${o.key} still has ${r.pending.length} dead letter(s) not replayed (partition@offset ${where}).\n` +
            `Replay them first (npm run dlq -- replay --group ${o.group} --topic ${o.topic} --yes), or add --force\n` +
            'to release it anyway: the group would then handle the key’s later events with those missing.',
        );
        return 3;
      }
      log(
        `${o.group}: released key ${o.key} of ${o.topic} (blocked since offset ${r.blockedByOffset}). ` +
          'Running members pick this up within their blocked-keys refresh (10 s by default) and handle the key again.',
      );
      return 0;
    }
    case 'blocked': {
      const rows = await withClient(config.database.url, async (db) =>
        (await hasBlockedKeyStore(db)) ? listBlockedKeys(db, flags.group) : [],
      );
      if (flags.json) log(toJson(rows, 2));
      else if (rows.length === 0) log('no blocked keys');
      else
        for (const l of formatTable([
          ['GROUP', 'TOPIC', 'KEY', 'BLOCKED BY OFFSET', 'SINCE'],
          ...rows.map((b) => [b.group, b.topic, b.key, String(b.blockedByOffset), b.blockedAt.toISOString()]),
        ]))
          log(l);
      return 0;
    }
    default:
      return 2;
  }
}

/** Group names the platform defines (`consumers/runtime/groups.ts`), for groups never started. */
async function knownGroups(): Promise<string[]> {
  try {
    return Object.keys((await import('../../consumers/runtime/groups.ts')).groups);
  } catch (e) {
    console.error(`(cannot load the group definitions, so groups never started are not listed: ${e})`);
    return [];
  }
}
