import type { Logger } from 'pino';

/** Something that stops gracefully: a consumer, a health server… */
export interface Stoppable {
  stop(): Promise<void>;
}

/** Options of {@link shutdownOnSignals}. */
export interface ShutdownOptions {
  signals?: readonly NodeJS.Signals[];
  logger?: Pick<Logger, 'info' | 'error'>;
  /** Exit code after a clean stop (default 0); a second signal exits at once with 1. */
  exit?: (code: number) => void;
}

/**
 * Stops every target on SIGTERM/SIGINT (consumers drain within their deadline, commit what
 * is safe and leave the group), then exits. A second signal exits at once.
 *
 * @returns a function that removes the signal handlers.
 * @example
 * await consumer.start();
 * shutdownOnSignals([consumer]);
 */
export function shutdownOnSignals(
  targets: readonly Stoppable[],
  { signals = ['SIGTERM', 'SIGINT'], logger, exit = (code) => process.exit(code) }: ShutdownOptions = {},
): () => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger?.error({ signal }, 'second signal: exiting without waiting');
      exit(1);
      return;
    }
    stopping = true;
    logger?.info({ signal }, 'shutting down');
    Promise.allSettled(targets.map((t) => t.stop())).then((results) => {
      const failed = results.filter((r) => r.status === 'rejected');
      for (const f of failed) logger?.error({ err: (f as PromiseRejectedResult).reason }, 'stop failed');
      exit(failed.length > 0 ? 1 : 0);
    });
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
