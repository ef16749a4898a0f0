import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { OutstreamConfig } from '../../../core/config.ts';
import { type ApicurioDistribution, apicurio, resolveRegistry } from '../maven.ts';
import { runningPid, startDetached, stopPid } from '../processes.ts';
import { type ComponentRunner, httpOk, paths } from './component.ts';
import { ensureDatabase } from './postgres.ts';

/**
 * The registry keeps its schemas in PostgreSQL (database `outstream_registry` on the same
 * server as the application's), so schema ids survive a restart: Kafka messages reference
 * them forever.
 */
export function registryJdbc(
  databaseUrl: string,
  database = 'outstream_registry',
): { url: string; user: string; password: string } {
  const u = new URL(databaseUrl);
  return {
    url: `jdbc:postgresql://${u.hostname}:${u.port || 5432}/${database}`,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
}

function registryPaths(config: OutstreamConfig) {
  const p = paths(config, 'registry');
  // Either distribution's folder marks the process as ours (pid-reuse guard).
  return {
    ...p,
    lib: (d: ApicurioDistribution) => p.lib(`apicurio-${d.version}`),
    marker: p.lib('apicurio-'),
  };
}

/** The distribution this machine can run: 3.3.3 with Java ≥ 21, else 3.0.9 on Java 17. */
export function registryDistribution(tools: { java21?: string }): ApicurioDistribution {
  return tools.java21 ? apicurio.current : apicurio.java17;
}

/** Apicurio Registry 3.x (Quarkus fast-jar from Maven Central), Confluent API at /apis/ccompat/v7. */
export const registry: ComponentRunner = {
  name: 'registry',
  startTimeoutS: 90,
  url: (config) => config.registry.url,
  logFile: (config) => registryPaths(config).log,
  runningPid: (config) => {
    const p = registryPaths(config);
    return runningPid(p.pid, p.marker);
  },

  async start({ config, tools }) {
    const p = registryPaths(config);
    mkdirSync(p.home, { recursive: true });
    const dist = registryDistribution(tools);
    const jar = await resolveRegistry(p.lib(dist), dist, { repoLocal: config.stack.mavenRepoLocal });
    await ensureDatabase(config.database.url, dist.database);
    const jdbc = registryJdbc(config.database.url, dist.database);
    if (dist !== apicurio.current) {
      console.warn(
        `registry: no Java ≥ 21 found, running Apicurio ${dist.version} on Java 17 (database ${dist.database}); ` +
          `install a JDK ≥ 21 for ${apicurio.current.version}`,
      );
    }
    startDetached(
      p,
      tools.java21 ?? tools.java,
      [
        '-Xmx192m',
        '-XX:+UseSerialGC',
        `-Dquarkus.http.host=127.0.0.1`,
        `-Dquarkus.http.port=${config.stack.ports.registry}`,
        // The management interface listens on 0.0.0.0:9000 unless told otherwise.
        '-Dquarkus.management.host=127.0.0.1',
        `-Dquarkus.management.port=${config.stack.ports.registryManagement}`,
        '-Dapicurio.storage.kind=sql',
        '-Dapicurio.storage.sql.kind=postgresql',
        `-Dapicurio.datasource.url=${jdbc.url}`,
        `-Dapicurio.datasource.username=${jdbc.user}`,
        `-Dapicurio.datasource.password=${jdbc.password}`,
        '-jar',
        jar,
      ],
      { cwd: path.dirname(jar) },
    );
  },

  healthy: (config) => httpOk(`${config.registry.url}/subjects`),

  async stop(config) {
    const p = registryPaths(config);
    const pid = registry.runningPid(config);
    return pid === undefined ? 'not running' : stopPid(pid, p.pid);
  },
};
