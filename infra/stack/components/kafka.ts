import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { kafkaNodePorts, type OutstreamConfig } from '../../../core/config.ts';
import { StackError } from '../../../core/errors.ts';
import { createKafka } from '../../../core/kafka/index.ts';
import { replicationOf } from '../../../core/stack-profile.ts';
import { resolveJars } from '../maven.ts';
import { runningPid, startDetached, stopPid } from '../processes.ts';
import { type ComponentRunner, paths } from './component.ts';

const run = promisify(execFile);

/**
 * A log4j2 configuration for the JVM components: warnings and errors, plus the lines that
 * say a server started, to the process's stdout (which the stack sends to its log file).
 */
export function log4j2Xml(infoLoggers: readonly string[]): string {
  const loggers = infoLoggers.map((l) => `    <Logger name="${l}" level="info"/>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="warn">
  <Appenders>
    <Console name="out" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d{ISO8601}] %-5p %c{1}: %m%n"/>
    </Console>
  </Appenders>
  <Loggers>
${loggers}
    <Root level="warn"><AppenderRef ref="out"/></Root>
  </Loggers>
</Configuration>
`;
}

/** The state of KRaft node `node` (1-based): the first keeps the single-node layout. */
function nodePaths(config: OutstreamConfig, node: number) {
  const p = paths(config, node === 1 ? 'kafka' : `kafka-${node}`);
  return {
    ...p,
    data: path.join(p.home, 'data'),
    properties: path.join(p.home, 'server.properties'),
    log4j: path.join(p.home, 'log4j2.xml'),
    jars: p.lib('kafka'),
  };
}

/** The nodes of the stack's profile, 1-based, with their ports. */
function nodesOf(config: OutstreamConfig) {
  return kafkaNodePorts(config.stack.ports, config.stack.kafkaNodes).map((ports, i) => ({
    id: i + 1,
    ports,
    paths: nodePaths(config, i + 1),
  }));
}

/**
 * Settings of one KRaft node (combined broker and controller) tuned for a developer's machine.
 * On the cluster profile every node votes in the controller quorum, and Kafka's internal
 * topics (offsets, transactions) and the default for new topics (Connect's) keep three copies
 * with two in sync, as the declared events topics do.
 */
export function serverProperties(
  node: number,
  dataDir: string,
  nodes: readonly { broker: number; controller: number }[],
): string {
  const own = nodes[node - 1]!;
  const r = replicationOf(nodes.length >= 3 ? 3 : 1);
  const props: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': node,
    'controller.quorum.voters': nodes.map((n, i) => `${i + 1}@127.0.0.1:${n.controller}`).join(','),
    listeners: `PLAINTEXT://127.0.0.1:${own.broker},CONTROLLER://127.0.0.1:${own.controller}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${own.broker}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': dataDir,
    // Topics come from infra/topics (and Connect's topic creation), never from a typo.
    'auto.create.topics.enable': 'false',
    'num.partitions': 6,
    'default.replication.factor': r.factor,
    'offsets.topic.replication.factor': r.factor,
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': r.factor,
    'transaction.state.log.min.isr': r.minInsync,
    'share.coordinator.state.topic.replication.factor': r.factor,
    'share.coordinator.state.topic.min.isr': r.minInsync,
    'min.insync.replicas': r.minInsync,
    'group.initial.rebalance.delay.ms': 0,
    'log.retention.hours': 168,
    // A node waits this long for the quorum to register it (default 60 s): three JVMs
    // starting at once on a small machine can take longer.
    'initial.broker.registration.timeout.ms': 300_000,
  };
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

/** The pid of each KRaft node of the stack (undefined: not running), node 1 first. */
export function kafkaNodePids(config: OutstreamConfig): (number | undefined)[] {
  return nodesOf(config).map((n) => runningPid(n.paths.pid, n.paths.properties));
}

/** Formats a node's storage once, with the cluster's id (every node of a cluster shares it). */
async function formatStorage(
  java: string,
  jvm: readonly string[],
  node: ReturnType<typeof nodesOf>[number],
  clusterId: () => Promise<string>,
) {
  if (existsSync(path.join(node.paths.data, 'meta.properties'))) return;
  try {
    await run(java, [
      ...jvm,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      await clusterId(),
      '-c',
      node.paths.properties,
    ]);
  } catch (e) {
    throw new StackError(
      'kafka',
      `formatting the KRaft storage of node ${node.id} failed: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

/** The cluster id a formatted node recorded, if any. */
function recordedClusterId(dataDir: string): string | undefined {
  const file = path.join(dataDir, 'meta.properties');
  if (!existsSync(file)) return undefined;
  return /^cluster\.id=(.+)$/m.exec(readFileSync(file, 'utf8'))?.[1]?.trim();
}

/**
 * Apache Kafka 4.x in KRaft mode, jars from Maven Central: one broker+controller, or three
 * on the cluster profile (`stack:up -- --brokers 3`), each a process of its own with its own
 * ports, data and log (`kafka`, `kafka-2`, `kafka-3` under the stack directory).
 */
export const kafka: ComponentRunner = {
  name: 'kafka',
  // Three JVMs forming a quorum on a loaded 2-core machine took 100 s (one: 10–40 s).
  startTimeoutS: 180,
  url: (config) => config.kafka.brokers.join(','),
  logFile: (config) => nodePaths(config, 1).log,
  // The component runs when every node does: `up` starts the missing ones.
  runningPid: (config) => {
    const pids = kafkaNodePids(config);
    return pids.every((p) => p !== undefined) ? pids[0] : undefined;
  },

  async start({ config, tools }) {
    const nodes = nodesOf(config);
    const jars = nodes[0]!.paths.jars;
    await resolveJars('kafka', jars, { repoLocal: config.stack.mavenRepoLocal });
    const jvm = ['-cp', `${jars}/*`];
    let clusterId = nodes.map((n) => recordedClusterId(n.paths.data)).find((id) => id !== undefined);
    let generating: Promise<string> | undefined;
    const idOnce = async () => {
      if (clusterId !== undefined) return clusterId;
      generating ??= run(tools.java, [...jvm, 'kafka.tools.StorageTool', 'random-uuid']).then(
        ({ stdout }) => (clusterId = stdout.trim().split('\n').pop() ?? ''),
      );
      return generating;
    };
    // Every missing node is formatted first, then all start together: a broker that waits
    // for a quorum whose other voters are still being formatted gives up after a minute.
    const pids = kafkaNodePids(config);
    const missing = nodes.filter((n) => pids[n.id - 1] === undefined);
    const launches = await Promise.all(
      missing.map(async (node) => {
        const p = node.paths;
        mkdirSync(p.data, { recursive: true });
        writeFileSync(
          p.properties,
          serverProperties(
            node.id,
            p.data,
            nodes.map((n) => n.ports),
          ),
        );
        writeFileSync(p.log4j, log4j2Xml(['kafka.server.KafkaRaftServer', 'kafka.server.BrokerServer']));
        const nodeJvm = [`-Dlog4j2.configurationFile=${p.log4j}`, ...jvm];
        await formatStorage(tools.java, nodeJvm, node, idOnce);
        return { p, nodeJvm };
      }),
    );
    for (const { p, nodeJvm } of launches) {
      startDetached(p, tools.java, [
        '-Xms128m',
        nodes.length === 1 ? '-Xmx768m' : '-Xmx512m',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-Djava.awt.headless=true',
        ...nodeJvm,
        'kafka.Kafka',
        p.properties,
      ]);
    }
  },

  async healthy(config) {
    // A broker answers metadata only once it registered with the controller quorum; a local
    // cluster is healthy when every node does (an external one when any answers).
    const targets = config.stack.external.kafka
      ? [config.kafka.brokers]
      : config.kafka.brokers.map((b) => [b]);
    const answers = await Promise.all(
      targets.map(async (brokers) => {
        try {
          const k = createKafka({ ...config.kafka, brokers, retries: 0 });
          await k.withAdmin((admin) => admin.listTopics());
          return true;
        } catch {
          return false;
        }
      }),
    );
    return answers.every(Boolean);
  },

  async stop(config) {
    const outcomes = await Promise.all(
      nodesOf(config).map((n) => {
        const pid = runningPid(n.paths.pid, n.paths.properties);
        return pid === undefined ? ('not running' as const) : stopPid(pid, n.paths.pid);
      }),
    );
    if (outcomes.includes('killed')) return 'killed';
    return outcomes.every((o) => o === 'not running') ? 'not running' : 'stopped';
  },
};
