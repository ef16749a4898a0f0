import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from '../../core/wait.ts';

/** Where a started process keeps its pid and appends its output. */
export interface ProcessFiles {
  pid: string;
  log: string;
}

/** Starts `command` detached from this process, output appended to its log file. */
export function startDetached(
  files: ProcessFiles,
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): number {
  mkdirSync(path.dirname(files.log), { recursive: true });
  mkdirSync(path.dirname(files.pid), { recursive: true });
  const log = openSync(files.log, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  child.unref();
  writeFileSync(files.pid, `${child.pid}\n`);
  return child.pid;
}

/** The pid in a pid file if that process is alive and still ours, else undefined. */
export function runningPid(pidFile: string, marker: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return cmdline.includes(marker) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Sends `signal` (SIGTERM by default), waits up to `graceMs` for the exit, then SIGKILLs. Removes the pid file. */
export async function stopPid(
  pid: number,
  pidFile: string,
  { graceMs = 30_000, signal = 'SIGTERM' }: { graceMs?: number; signal?: NodeJS.Signals } = {},
): Promise<'stopped' | 'killed'> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      // A zombie (exited, not yet reaped by its parent) counts as gone.
      return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
    } catch {
      return false;
    }
  };
  let outcome: 'stopped' | 'killed' = 'stopped';
  try {
    process.kill(pid, signal);
    await waitFor(() => !alive(), { timeoutMs: graceMs, intervalMs: 100, what: `pid ${pid} to exit` });
  } catch {
    if (alive()) {
      process.kill(pid, 'SIGKILL');
      outcome = 'killed';
      await waitFor(() => !alive(), { timeoutMs: 5_000, intervalMs: 50, what: `pid ${pid} to die` });
    }
  }
  rmSync(pidFile, { force: true });
  return outcome;
}

/** The last `lines` lines of a log file (empty when there is none). */
export function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no log file)';
  const text = readFileSync(file, 'utf8').trimEnd().split('\n');
  return text.slice(-lines).join('\n');
}
