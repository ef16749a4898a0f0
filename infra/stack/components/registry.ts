import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { localPorts, type OutstreamConfig } from '../../../core/config.ts';
import { apicurio, resolveRegistry } from '../maven.ts';
import { runningPid, startDetached, stopPid } from '../processes.ts';
import { type ComponentRunner, httpOk, paths } from './component.ts';

/**
 * The registry keeps its schemas in PostgreSQL (database `outstream_registry` beside the
 * application's), so schema ids survive a restart: Kafka messages reference them forever.
 */
export function registryJdbc(databaseUrl: string): { url: string; user: string; password: string } {
  const u = new URL(databaseUrl);
  return {
    url: `jdbc:postgresql://${u.hostname}:${u.port || 5432}/outstream_registry`,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
}

function registryPaths(config: OutstreamConfig) {
  const p = paths(config, 'registry');
  return { ...p, app: p.lib(`apicurio-${apicurio.version}`) };
}

/** Apicurio Registry 3.x (Quarkus fast-jar from Maven Central), Confluent API at /apis/ccompat/v7. */
export const registry: ComponentRunner = {
  name: 'registry',
  startTimeoutS: 90,
  url: (config) => config.registry.url,
  logFile: (config) => registryPaths(config).log,
  runningPid: (config) => {
    const p = registryPaths(config);
    return runningPid(p.pid, p.app);
  },

  async start({ config, tools }) {
    const p = registryPaths(config);
    mkdirSync(p.home, { recursive: true });
    const appDir = await resolveRegistry(p.app);
    const jdbc = registryJdbc(config.database.url);
    startDetached(
      p,
      tools.java21,
      [
        '-Xmx192m',
        '-XX:+UseSerialGC',
        `-Dquarkus.http.host=127.0.0.1`,
        `-Dquarkus.http.port=${localPorts.registry}`,
        // The management interface listens on 0.0.0.0:9000 unless told otherwise.
        '-Dquarkus.management.host=127.0.0.1',
        `-Dquarkus.management.port=${localPorts.registryManagement}`,
        '-Dapicurio.storage.kind=sql',
        '-Dapicurio.storage.sql.kind=postgresql',
        `-Dapicurio.datasource.url=${jdbc.url}`,
        `-Dapicurio.datasource.username=${jdbc.user}`,
        `-Dapicurio.datasource.password=${jdbc.password}`,
        '-jar',
        path.join(appDir, 'quarkus-run.jar'),
      ],
      { cwd: appDir },
    );
  },

  healthy: (config) => httpOk(`${config.registry.url}/subjects`),

  async stop(config) {
    const p = registryPaths(config);
    const pid = registry.runningPid(config);
    return pid === undefined ? 'not running' : stopPid(pid, p.pid);
  },
};
