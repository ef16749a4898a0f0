import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { OutstreamConfig } from '../../../core/config.ts';
import { resolveJars } from '../maven.ts';
import { runningPid, startDetached, stopPid } from '../processes.ts';
import { type ComponentRunner, httpOk, paths } from './component.ts';
import { log4j2Xml } from './kafka.ts';

function connectPaths(config: OutstreamConfig) {
  const p = paths(config, 'connect');
  return {
    ...p,
    properties: path.join(p.home, 'connect.properties'),
    log4j: path.join(p.home, 'log4j2.xml'),
    jars: p.lib('connect'),
    plugins: path.join(config.stack.dir, 'plugins'),
  };
}

/** Distributed-mode worker settings; the worker's own state lives in three compacted topics. */
function workerProperties(config: OutstreamConfig, pluginPath: string): string {
  const props: Record<string, string | number> = {
    'bootstrap.servers': config.kafka.brokers.join(','),
    'group.id': 'outstream-connect',
    'config.storage.topic': '_outstream-connect-configs',
    'offset.storage.topic': '_outstream-connect-offsets',
    'status.storage.topic': '_outstream-connect-status',
    // The broker's default.replication.factor (KIP-464): 1 on one node, 3 on the cluster profile.
    'config.storage.replication.factor': -1,
    'offset.storage.replication.factor': -1,
    'status.storage.replication.factor': -1,
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
    // Debezium acknowledges WAL positions to PostgreSQL when offsets are flushed: a short
    // interval keeps the replication slot from holding WAL longer than needed.
    'offset.flush.interval.ms': 1_000,
    listeners: `http://127.0.0.1:${config.stack.ports.connect}`,
    'rest.advertised.host.name': '127.0.0.1',
    'plugin.path': pluginPath,
    // Plugins declare themselves through ServiceLoader manifests: scanning is 25x faster.
    'plugin.discovery': 'service_load',
    'topic.creation.enable': 'true',
    // The worker's internal clients (its shared admin, the consumers and producers of its
    // three topics) take these from the worker's settings. With the defaults (40 s, 60 s), a
    // broker killed under load left the shared admin's end-offsets call on
    // '_outstream-connect-offsets' waiting on the dead node, and capture stalled with it until
    // the node came back: every sink paused 52–95 s. KafkaBasedLog retries a call that timed
    // out with fresh metadata, so after 15 s it finds the new leaders: the longest pause fell
    // to 17–18 s, the cluster's own fencing and election (test/faults/README.md).
    'request.timeout.ms': 10_000,
    'default.api.timeout.ms': 15_000,
    // exactly.once.source.support stays off (at least once): measured in connect/README.md, it
    // removed the duplicates a kill -9 republishes but cost latency under load and turned an
    // unpublishable record into a task Connect kept reporting RUNNING.
  };
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

/** Kafka Connect (distributed worker) with the Debezium PostgreSQL connector on its plugin path. */
export const connect: ComponentRunner = {
  name: 'connect',
  startTimeoutS: 90,
  url: (config) => config.connect.url,
  logFile: (config) => connectPaths(config).log,
  runningPid: (config) => {
    const p = connectPaths(config);
    return runningPid(p.pid, p.properties);
  },

  async start({ config, tools }) {
    const p = connectPaths(config);
    mkdirSync(p.home, { recursive: true });
    const maven = { repoLocal: config.stack.mavenRepoLocal };
    await resolveJars('connect', p.jars, maven);
    await resolveJars('debezium', path.join(p.plugins, 'debezium-connector-postgres'), maven);
    writeFileSync(p.properties, workerProperties(config, p.plugins));
    writeFileSync(
      p.log4j,
      log4j2Xml([
        'org.apache.kafka.connect.runtime.Connect',
        'io.debezium.connector.postgresql.PostgresConnectorTask',
        // Rebalances, tasks stopped and started, the worker falling out of sync with its
        // config topic: what an operator needs to explain a pause in capture.
        'org.apache.kafka.connect.runtime.distributed.DistributedHerder',
        'org.apache.kafka.connect.runtime.Worker',
        'org.apache.kafka.connect.util.KafkaBasedLog',
      ]),
    );
    startDetached(p, tools.java, [
      '-Xms128m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${p.log4j}`,
      '-cp',
      `${p.jars}/*`,
      'org.apache.kafka.connect.cli.ConnectDistributed',
      p.properties,
    ]);
  },

  healthy: (config) => httpOk(`${config.connect.url}/connectors`),

  async stop(config) {
    const p = connectPaths(config);
    const pid = connect.runningPid(config);
    return pid === undefined ? 'not running' : stopPid(pid, p.pid);
  },
};
