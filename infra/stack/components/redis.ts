import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { OutstreamConfig } from '../../../core/config.ts';
import { StackError } from '../../../core/errors.ts';
import { runningPid, stopPid } from '../processes.ts';
import { type ComponentRunner, paths } from './component.ts';

const run = promisify(execFile);
const marker = (config: OutstreamConfig) => `127.0.0.1:${config.stack.ports.redis}`;

/** Redis: its own `redis-server` on its own port, append-only file under .stack/redis. */
export const redis: ComponentRunner = {
  name: 'redis',
  startTimeoutS: 20,
  url: (config) => config.redis.url,
  logFile: (config) => paths(config, 'redis').log,
  runningPid: (config) => runningPid(paths(config, 'redis').pid, marker(config)),

  async start({ config, tools }) {
    const p = paths(config, 'redis');
    mkdirSync(p.home, { recursive: true });
    mkdirSync(p.log.replace(/[^/]+$/, ''), { recursive: true });
    try {
      await run(tools.redisServer, [
        '--bind',
        '127.0.0.1',
        '--port',
        String(config.stack.ports.redis),
        '--daemonize',
        'yes',
        '--pidfile',
        p.pid,
        '--logfile',
        p.log,
        '--dir',
        p.home,
        '--appendonly',
        'yes',
        '--save',
        '',
      ]);
    } catch (e) {
      throw new StackError('redis', `redis-server failed to start: ${(e as Error).message}`, { cause: e });
    }
  },

  async healthy(config) {
    const client = new Redis(config.redis.url, {
      lazyConnect: true,
      connectTimeout: 2_000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  },

  async stop(config) {
    const p = paths(config, 'redis');
    const pid = redis.runningPid(config);
    return pid === undefined ? 'not running' : stopPid(pid, p.pid);
  },
};
