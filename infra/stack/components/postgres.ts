import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { OutstreamConfig } from '../../../core/config.ts';
import { StackError } from '../../../core/errors.ts';
import { runningPid, stopPid } from '../processes.ts';
import { type ComponentRunner, paths } from './component.ts';

const run = promisify(execFile);

const settings = {
  listen_addresses: "'127.0.0.1'",
  // No Unix socket: a deep checkout path would exceed the 107-byte socket path limit.
  unix_socket_directories: "''",
  wal_level: 'logical',
  max_replication_slots: '10',
  max_wal_senders: '10',
  max_connections: '200',
  // A slot that lost its consumer must not fill the disk of a developer's machine.
  max_slot_wal_keep_size: "'2GB'",
};

function pgPaths(config: OutstreamConfig) {
  const p = paths(config, 'postgres');
  return { ...p, data: path.join(p.home, 'data') };
}

/** Runs a PostgreSQL binary, as the `postgres` user when we are root (initdb refuses root). */
async function pgExec(bin: string, args: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  try {
    await run(cmd, argv, { maxBuffer: 8 * 1024 * 1024 });
  } catch (e) {
    const out = e as { stdout?: string; stderr?: string };
    throw new StackError('postgres', `${path.basename(bin)} failed: ${out.stderr || out.stdout || e}`, {
      cause: e,
    });
  }
}

/** PostgreSQL: its own cluster under .stack/postgres with logical decoding on. */
export const postgres: ComponentRunner = {
  name: 'postgres',
  startTimeoutS: 60,
  url: (config) => config.database.url,
  logFile: (config) => pgPaths(config).log,
  runningPid: (config) => {
    const p = pgPaths(config);
    return runningPid(path.join(p.data, 'postmaster.pid'), p.data);
  },

  async start({ config, tools }) {
    const p = pgPaths(config);
    const asRoot = process.getuid?.() === 0;
    const own = (dir: string) => {
      if (asRoot) chownSync(dir, ...postgresIds());
    };
    mkdirSync(p.home, { recursive: true });
    mkdirSync(path.dirname(p.log), { recursive: true });
    own(p.home);
    if (!existsSync(p.log)) writeFileSync(p.log, '');
    own(p.log);
    if (!existsSync(path.join(p.data, 'PG_VERSION'))) {
      await pgExec(path.join(tools.pgBin, 'initdb'), [
        '-D',
        p.data,
        '-U',
        'outstream',
        '--auth=trust',
        '-E',
        'UTF8',
        '--locale=C',
      ]);
      const conf = Object.entries(settings).map(([k, v]) => `${k} = ${v}`);
      appendFileSync(path.join(p.data, 'postgresql.conf'), `\n# outstream stack\n${conf.join('\n')}\n`);
    }
    // The port is given at start (not in postgresql.conf): OUTSTREAM_PORT_OFFSET may move it.
    const port = `-p ${config.stack.ports.postgres}`;
    await pgExec(path.join(tools.pgBin, 'pg_ctl'), [
      '-D',
      p.data,
      '-l',
      p.log,
      '-o',
      port,
      '-w',
      '-t',
      '60',
      'start',
    ]);
    await ensureDatabase(config.database.url, new URL(config.database.url).pathname.slice(1));
  },

  async healthy(config) {
    const client = new pg.Client({ connectionString: config.database.url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  },

  async stop(config) {
    const pid = postgres.runningPid(config);
    if (pid === undefined) return 'not running';
    // SIGINT is PostgreSQL's "fast" shutdown: it does not wait for Connect's replication
    // connection to go away, as the default "smart" shutdown (SIGTERM) would.
    return stopPid(pid, path.join(pgPaths(config).data, 'postmaster.pid'), { signal: 'SIGINT' });
  },
};

/** Creates database `name` on the server of `databaseUrl` when missing (idempotent). */
export async function ensureDatabase(databaseUrl: string, name: string): Promise<void> {
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

function postgresIds(): [number, number] {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return [id('-u'), id('-g')];
}
