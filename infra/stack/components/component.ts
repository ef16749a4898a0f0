import path from 'node:path';
import type { Component, OutstreamConfig } from '../../../core/config.ts';
import type { Tools } from '../prerequisites.ts';

/** What every component runner gets: the parsed config, the tools found and its paths. */
export interface StackContext {
  config: OutstreamConfig;
  tools: Tools & Required<Omit<Tools, 'java21' | 'chromium'>>;
}

/** How the stack starts, checks and stops one component. */
export interface ComponentRunner {
  name: Component;
  /** The URL clients use (also for an external component). */
  url(config: OutstreamConfig): string;
  /** The pid of the process this stack started, if it is still running. */
  runningPid(config: OutstreamConfig): number | undefined;
  /** Starts the component (it is known not to be running) and returns once it was launched. */
  start(ctx: StackContext): Promise<void>;
  /** Answers true once the component serves requests (works for external ones too). */
  healthy(config: OutstreamConfig): Promise<boolean>;
  /** Stops the process this stack started. */
  stop(config: OutstreamConfig): Promise<'stopped' | 'killed' | 'not running'>;
  logFile(config: OutstreamConfig): string;
  /** Seconds `up` waits for health after a start. */
  startTimeoutS: number;
}

/** Paths of one component's state under the stack directory. */
export function paths(config: OutstreamConfig, name: string) {
  const root = config.stack.dir;
  return {
    home: path.join(root, name),
    log: path.join(root, 'logs', `${name}.log`),
    pid: path.join(root, name, `${name}.pid`),
    lib: (what: string) => path.join(root, 'lib', what),
  };
}

/** Fetches a URL with a short timeout and tells whether it answered 2xx. */
export async function httpOk(url: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}
