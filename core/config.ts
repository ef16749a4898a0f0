import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { type KafkaNodeCount, type Replication, readStackProfile, replicationOf } from './stack-profile.ts';

/**
 * Ports of the local stack (`npm run stack:up`) and of the processes `npm start` runs. They
 * sit away from the standard ports, so that the stack never collides with a machine's own
 * PostgreSQL, Redis or Kafka, and below Linux's ephemeral range (32768–60999), where any
 * outgoing connection may hold a port before our listener gets it.
 * `OUTSTREAM_PORT_OFFSET` shifts them all, so that two checkouts can run two stacks.
 */
export const localPorts = {
  postgres: 15432,
  redis: 16379,
  kafka: 19092,
  kafkaController: 19093,
  // The second and third KRaft nodes of the cluster profile (`stack:up -- --brokers 3`).
  kafka2: 19094,
  kafkaController2: 19095,
  kafka3: 19096,
  kafkaController3: 19097,
  connect: 18083,
  registry: 18081,
  registryManagement: 19001,
  sse: 18090,
  smtp: 18025,
  smtpSink: 18026,
  notificationsHealth: 18101,
  cacheInvalidationHealth: 18102,
  analyticsHealth: 18103,
  analyticsApi: 18104,
  opsConsole: 18100,
  dispatcherHealth: 18105,
} as const;

/** Shifted ports must stay in 1024…32767: privileged below, ephemeral above. */
const portRange = { min: 1024, max: 32767 } as const;

/** The components of the stack, in start order. */
export const components = ['postgres', 'redis', 'kafka', 'smtp', 'registry', 'connect'] as const;
export type Component = (typeof components)[number];

const url = (name: string) =>
  z
    .string()
    .trim()
    .refine((v) => URL.canParse(v), { message: `${name} must be a URL` });

const envSchema = z.object({
  KAFKA_BROKERS: z
    .string()
    .trim()
    .regex(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, 'KAFKA_BROKERS must be host:port[,host:port…]')
    .optional(),
  SCHEMA_REGISTRY_URL: url('SCHEMA_REGISTRY_URL').optional(),
  CONNECT_URL: url('CONNECT_URL').optional(),
  CONNECT_DATABASE_URL: url('CONNECT_DATABASE_URL').optional(),
  DATABASE_URL: url('DATABASE_URL').optional(),
  REDIS_URL: url('REDIS_URL').optional(),
  SMTP_URL: url('SMTP_URL')
    .refine((v) => !URL.canParse(v) || /^smtps?:$/.test(new URL(v).protocol), {
      message: 'SMTP_URL must be smtp:// or smtps://',
    })
    .optional(),
  SMTP_SINK_URL: url('SMTP_SINK_URL').optional(),
  SSE_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  OUTSTREAM_STACK_DIR: z.string().trim().min(1).optional(),
  OUTSTREAM_MAVEN_REPO_LOCAL: z.string().trim().min(1).optional(),
  OUTSTREAM_PORT_OFFSET: z.coerce
    .number()
    .int()
    .min(portRange.min - Math.min(...Object.values(localPorts)), {
      message: `OUTSTREAM_PORT_OFFSET must keep every port ≥ ${portRange.min}`,
    })
    .max(portRange.max - Math.max(...Object.values(localPorts)), {
      message: `OUTSTREAM_PORT_OFFSET must keep every port ≤ ${portRange.max}, below Linux's ephemeral range (safe offsets: 0, 1000, … 13000)`,
    })
    .optional(),
  OUTSTREAM_CLIENT_ID: z.string().trim().min(1).optional(),
  OUTSTREAM_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(7).optional(),
  OUTSTREAM_CONNECTOR_NAME: z
    .string()
    .regex(/^[a-z][a-z0-9_-]*$/, 'OUTSTREAM_CONNECTOR_NAME must be lower-case letters, digits, - or _')
    .optional(),
});

/** Where Outstream finds each component, and which of them the local stack runs. */
export interface OutstreamConfig {
  kafka: {
    brokers: string[];
    clientId: string;
    /**
     * Replication of the topics Outstream declares: the local stack's profile (one node: 1;
     * three: 3 copies, 2 in sync), or OUTSTREAM_REPLICATION_FACTOR for an external cluster.
     */
    replication: Replication;
  };
  registry: { url: string };
  connect: {
    url: string;
    connectorName: string;
    /** The outbox database as Connect's workers reach it (differs in containers). */
    databaseUrl: string;
  };
  database: { url: string };
  redis: { url: string };
  /**
   * Outgoing mail. `url` is an SMTP server (`smtp://user:pass@host:587`); `sinkUrl` is the
   * HTTP API of the local stack's SMTP sink, where received mail can be read back.
   */
  smtp: { url: string; sinkUrl: string };
  sse: { port: number };
  stack: {
    /** State directory of the local stack (data, logs, resolved jars). */
    dir: string;
    /** Ports of the local components (shifted by OUTSTREAM_PORT_OFFSET). */
    ports: LocalPorts;
    /** OUTSTREAM_PORT_OFFSET (0 when unset): shifts every default port, the groups' too. */
    portOffset: number;
    /** KRaft nodes of the local Kafka (`profile.json` in the stack directory; 1 by default). */
    kafkaNodes: KafkaNodeCount;
    /** Maven's local repository for the stack's jars (OUTSTREAM_MAVEN_REPO_LOCAL; default Maven's own). */
    mavenRepoLocal?: string;
    /** Components pointed at an external URL: the local stack neither starts nor stops them. */
    external: Record<Component, boolean>;
  };
}

/** The local stack's ports. */
export type LocalPorts = { readonly [K in keyof typeof localPorts]: number };

/** The local ports shifted by `offset`. */
export function portsFor(offset: number): LocalPorts {
  return Object.fromEntries(Object.entries(localPorts).map(([k, v]) => [k, v + offset])) as LocalPorts;
}

/** The broker and controller ports of each KRaft node of a local stack. */
export function kafkaNodePorts(ports: LocalPorts, nodes: number): { broker: number; controller: number }[] {
  const all = [
    { broker: ports.kafka, controller: ports.kafkaController },
    { broker: ports.kafka2, controller: ports.kafkaController2 },
    { broker: ports.kafka3, controller: ports.kafkaController3 },
  ];
  return all.slice(0, nodes);
}

/** The connection settings of a local stack on `ports`, as environment lines. */
export function localUrlsFor(ports: LocalPorts, kafkaNodes = 1) {
  return {
    KAFKA_BROKERS: kafkaNodePorts(ports, kafkaNodes)
      .map((n) => `127.0.0.1:${n.broker}`)
      .join(','),
    SCHEMA_REGISTRY_URL: `http://127.0.0.1:${ports.registry}/apis/ccompat/v7`,
    CONNECT_URL: `http://127.0.0.1:${ports.connect}`,
    DATABASE_URL: `postgres://outstream:outstream@127.0.0.1:${ports.postgres}/outstream`,
    REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
    SMTP_URL: `smtp://127.0.0.1:${ports.smtp}`,
    SMTP_SINK_URL: `http://127.0.0.1:${ports.smtpSink}`,
  } as const;
}

/** The connection settings of the local stack on its default ports. */
export const localUrls = localUrlsFor(localPorts);

/**
 * Parses the environment once, at the edge of a runnable. A variable that is set points
 * Outstream at an external service and the local stack leaves that component alone.
 *
 * @example
 * const config = loadConfig(process.env);
 * const kafka = createKafka(config.kafka);
 */
export function loadConfig(env: Record<string, string | undefined>, cwd = process.cwd()): OutstreamConfig {
  // Empty strings mean "unset": `KEY= npm start` is a common way to clear a variable.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const portOffset = e.OUTSTREAM_PORT_OFFSET ?? 0;
  const ports = portsFor(portOffset);
  const dir = path.resolve(cwd, e.OUTSTREAM_STACK_DIR ?? '.stack');
  const { kafkaNodes } = readStackProfile(dir);
  const local = localUrlsFor(ports, kafkaNodes);
  const kafkaExternal = isExternal(e.KAFKA_BROKERS, local.KAFKA_BROKERS);
  return {
    kafka: {
      brokers: (e.KAFKA_BROKERS ?? local.KAFKA_BROKERS).split(','),
      clientId: e.OUTSTREAM_CLIENT_ID ?? 'outstream',
      replication: replicationOf(e.OUTSTREAM_REPLICATION_FACTOR ?? (kafkaExternal ? 1 : kafkaNodes)),
    },
    registry: { url: e.SCHEMA_REGISTRY_URL ?? local.SCHEMA_REGISTRY_URL },
    connect: {
      url: e.CONNECT_URL ?? local.CONNECT_URL,
      connectorName: e.OUTSTREAM_CONNECTOR_NAME ?? 'outstream-outbox',
      databaseUrl: e.CONNECT_DATABASE_URL ?? e.DATABASE_URL ?? local.DATABASE_URL,
    },
    database: { url: e.DATABASE_URL ?? local.DATABASE_URL },
    redis: { url: e.REDIS_URL ?? local.REDIS_URL },
    smtp: {
      url: e.SMTP_URL ?? local.SMTP_URL,
      sinkUrl: e.SMTP_SINK_URL ?? local.SMTP_SINK_URL,
    },
    sse: { port: e.SSE_PORT ?? ports.sse },
    stack: {
      dir,
      ports,
      portOffset,
      kafkaNodes,
      ...(e.OUTSTREAM_MAVEN_REPO_LOCAL
        ? { mavenRepoLocal: path.resolve(cwd, e.OUTSTREAM_MAVEN_REPO_LOCAL) }
        : {}),
      // A variable equal to the local stack's own value (as `stack:env` prints it) is not
      // external: `eval "$(npm run -s stack:env)"` must not turn the stack off.
      external: {
        postgres: isExternal(e.DATABASE_URL, local.DATABASE_URL),
        redis: isExternal(e.REDIS_URL, local.REDIS_URL),
        smtp: isExternal(e.SMTP_URL, local.SMTP_URL),
        kafka: kafkaExternal,
        registry: isExternal(e.SCHEMA_REGISTRY_URL, local.SCHEMA_REGISTRY_URL),
        connect: isExternal(e.CONNECT_URL, local.CONNECT_URL),
      },
    },
  };
}

function isExternal(value: string | undefined, local: string): boolean {
  return value !== undefined && value !== local;
}

/** The settings as `KEY=value` lines (what `npm run -s stack:env` prints). */
export function configToEnv(config: OutstreamConfig): string {
  const lines = {
    KAFKA_BROKERS: config.kafka.brokers.join(','),
    SCHEMA_REGISTRY_URL: config.registry.url,
    CONNECT_URL: config.connect.url,
    DATABASE_URL: config.database.url,
    REDIS_URL: config.redis.url,
    SMTP_URL: config.smtp.url,
    SMTP_SINK_URL: config.smtp.sinkUrl,
    SSE_PORT: String(config.sse.port),
  };
  return Object.entries(lines)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}
