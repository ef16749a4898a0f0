import net from 'node:net';
import path from 'node:path';
import type { OutstreamConfig } from '../../../core/config.ts';
import { runningPid, startDetached, stopPid } from '../processes.ts';
import { type ComponentRunner, httpOk, paths } from './component.ts';

const entry = path.join(import.meta.dirname, '..', 'smtp-sink', 'main.ts');

function smtpPaths(config: OutstreamConfig) {
  const p = paths(config, 'smtp');
  return { ...p, mail: path.join(p.home, 'mail') };
}

/**
 * Whether an SMTP server answers at `url` with a `220` greeting (works for any server, so
 * it also checks an external `SMTP_URL`).
 */
export function smtpGreets(url: string, timeoutMs = 2_000): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'smtps:' ? 465 : 25));
  // smtps (implicit TLS) cannot be greeted in clear text: a TCP connect is the best check.
  const greet = u.protocol !== 'smtps:';
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => {
      if (!greet) done(true);
    });
    socket.once('data', (chunk: Buffer) => done(chunk.toString('latin1').startsWith('220')));
  });
}

/**
 * The local SMTP endpoint: a catch-all sink (`infra/stack/smtp-sink`, built on
 * `smtp-server`) that keeps every message under `.stack/smtp/mail` and serves it over HTTP.
 * It refuses `*@reject.test` with 550, defers `*@busy.test` with 451, and defers each
 * `*@flaky.test` address twice before accepting it.
 */
export const smtp: ComponentRunner = {
  name: 'smtp',
  startTimeoutS: 20,
  url: (config) => config.smtp.url,
  logFile: (config) => smtpPaths(config).log,
  runningPid: (config) => runningPid(smtpPaths(config).pid, entry),

  async start({ config }) {
    const p = smtpPaths(config);
    // The Node that runs this (npm scripts run the project's Node 24, which strips types).
    startDetached(p, process.execPath, [
      entry,
      '--smtp-port',
      String(config.stack.ports.smtp),
      '--http-port',
      String(config.stack.ports.smtpSink),
      '--dir',
      p.mail,
    ]);
  },

  async healthy(config) {
    if (!(await smtpGreets(config.smtp.url))) return false;
    return config.stack.external.smtp || httpOk(`${config.smtp.sinkUrl}/health`);
  },

  async stop(config) {
    const p = smtpPaths(config);
    const pid = smtp.runningPid(config);
    return pid === undefined ? 'not running' : stopPid(pid, p.pid);
  },
};
