import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LocalPorts, OutstreamConfig } from '../../../core/config.ts';
import { StackError } from '../../../core/errors.ts';
import { createKafka } from '../../../core/kafka/index.ts';
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

function kafkaPaths(config: OutstreamConfig) {
  const p = paths(config, 'kafka');
  return {
    ...p,
    data: path.join(p.home, 'data'),
    properties: path.join(p.home, 'server.properties'),
    log4j: path.join(p.home, 'log4j2.xml'),
    jars: p.lib('kafka'),
  };
}

/** Broker settings: one combined KRaft node tuned for a developer's machine. */
function serverProperties(dataDir: string, ports: LocalPorts): string {
  const props: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${ports.kafkaController}`,
    listeners: `PLAINTEXT://127.0.0.1:${ports.kafka},CONTROLLER://127.0.0.1:${ports.kafkaController}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${ports.kafka}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': dataDir,
    // Topics come from infra/topics (and Connect's topic creation), never from a typo.
    'auto.create.topics.enable': 'false',
    'num.partitions': 6,
    'default.replication.factor': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'min.insync.replicas': 1,
    'group.initial.rebalance.delay.ms': 0,
    'log.retention.hours': 168,
  };
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

/** Apache Kafka 4.x in KRaft mode, one broker+controller, jars from Maven Central. */
export const kafka: ComponentRunner = {
  name: 'kafka',
  startTimeoutS: 90,
  url: (config) => config.kafka.brokers.join(','),
  logFile: (config) => kafkaPaths(config).log,
  runningPid: (config) => {
    const p = kafkaPaths(config);
    return runningPid(p.pid, p.properties);
  },

  async start({ config, tools }) {
    const p = kafkaPaths(config);
    mkdirSync(p.data, { recursive: true });
    await resolveJars('kafka', p.jars, { repoLocal: config.stack.mavenRepoLocal });
    writeFileSync(p.properties, serverProperties(p.data, config.stack.ports));
    writeFileSync(p.log4j, log4j2Xml(['kafka.server.KafkaRaftServer', 'kafka.server.BrokerServer']));
    const cp = `${p.jars}/*`;
    const jvm = [`-Dlog4j2.configurationFile=${p.log4j}`, '-cp', cp];
    if (!existsSync(path.join(p.data, 'meta.properties'))) {
      try {
        const { stdout } = await run(tools.java, [...jvm, 'kafka.tools.StorageTool', 'random-uuid']);
        const clusterId = stdout.trim().split('\n').pop() ?? '';
        await run(tools.java, [
          ...jvm,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          p.properties,
        ]);
      } catch (e) {
        throw new StackError('kafka', `formatting the KRaft storage failed: ${(e as Error).message}`, {
          cause: e,
        });
      }
    }
    startDetached(p, tools.java, [
      '-Xms128m',
      '-Xmx768m',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      ...jvm,
      'kafka.Kafka',
      p.properties,
    ]);
  },

  async healthy(config) {
    // A broker answers metadata only once it registered with the controller quorum.
    try {
      const kafka = createKafka({ ...config.kafka, retries: 0 });
      await kafka.withAdmin((admin) => admin.listTopics());
      return true;
    } catch {
      return false;
    }
  },

  async stop(config) {
    const p = kafkaPaths(config);
    const pid = kafka.runningPid(config);
    return pid === undefined ? 'not running' : stopPid(pid, p.pid);
  },
};
