import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { waitFor } from '../../core/wait.ts';

/** A gateway running as its own process, as `npm run sse` runs it (test support). */
export interface GatewayChild {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Everything it printed (pino JSON lines and stderr). */
  log(): string;
  /** pino lines at level error or above. */
  errors(): string[];
  /** Still running (no exit, no signal). */
  alive(): boolean;
  /** A gauge of its `/metrics` (e.g. `outstream_sse_process_resident_memory_bytes`), summed. */
  metric(name: string): Promise<number>;
  /** Stops it with `signal` and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (after {@link GatewayChild.stop}). */
  restart(): Promise<void>;
}

/** A free port on the loopback interface. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

/**
 * Starts `realtime/main.ts` in a child process with the test's environment plus `env`, and
 * waits for `/health` to answer 200. Process-level facts (it stays up, its memory) are then
 * the gateway's alone, not the test runner's.
 */
export async function startGatewayChild(env: Record<string, string>): Promise<GatewayChild> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = '';

  async function launch(): Promise<void> {
    const proc = spawn(process.execPath, ['realtime/main.ts'], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env, SSE_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    proc.stdout!.on('data', (d) => {
      output += d;
    });
    proc.stderr!.on('data', (d) => {
      output += d;
    });
    await waitFor(async () => (await fetch(`${url}/health`).catch(() => undefined))?.status === 200, {
      // A start JIT-compiles the whole gateway: minutes, not seconds, on a loaded 2-core machine.
      timeoutMs: 120_000,
      what: 'the gateway to be ready',
      abort: () => (proc.exitCode !== null ? `gateway exited ${proc.exitCode}: ${output}` : undefined),
    });
  }

  await launch();
  return {
    port,
    url,
    log: () => output,
    errors: () =>
      output.split('\n').filter((line) => {
        if (!line.startsWith('{')) return false;
        try {
          return (JSON.parse(line) as { level?: number }).level! >= 50;
        } catch {
          return false;
        }
      }),
    alive: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    async metric(name) {
      const text = await (await fetch(`${url}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith(name) && (l[name.length] === ' ' || l[name.length] === '{'))
        .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    },
    async stop(signal = 'SIGTERM') {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      await exited;
    },
    restart: launch,
  };
}
