/** Options of {@link watchHealth}. */
export interface HealthWatchOptions {
  /** Where the child serves `/health`. */
  url: string;
  /** How often to ask (default 5 s); each request may take this long. */
  intervalMs?: number;
  /** How long the child must stay unhealthy before `onUnhealthy` (default 20 s). */
  unhealthyAfterMs?: number;
  /** Told once, with why, when the child stayed unhealthy for `unhealthyAfterMs`. */
  onUnhealthy(reason: string): void;
  now?: () => number;
}

/**
 * What one `/health` answer says: unhealthy when the consumer says so (`status: unhealthy`,
 * a stall: work and no progress) or when it does not answer at all (an event loop that is
 * blocked); anything else — `ok`, `degraded` (an outage being waited out, which a restart
 * would not end), `unavailable` (starting or stopping) — is left alone.
 */
export async function healthVerdict(url: string, timeoutMs: number): Promise<string | undefined> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    return `no answer from ${url} (${(e as Error).name === 'TimeoutError' ? `none within ${timeoutMs} ms` : (e as Error).message})`;
  }
  const body = (await res.json().catch(() => undefined)) as
    | { status?: string; consumers?: { group?: string; stalled?: string }[] }
    | undefined;
  if (body?.status !== 'unhealthy') return undefined;
  const why = (body.consumers ?? [])
    .filter((c) => c.stalled)
    .map((c) => `${c.group}: ${c.stalled}`)
    .join('; ');
  return `health says unhealthy${why ? ` (${why})` : ''}`;
}

/**
 * Polls a child's `/health` and calls `onUnhealthy` once when it stayed unhealthy
 * ({@link healthVerdict}) for `unhealthyAfterMs`; a healthy answer in between starts over.
 *
 * @returns a function that stops watching.
 */
export function watchHealth(o: HealthWatchOptions): () => void {
  const intervalMs = o.intervalMs ?? 5_000;
  const unhealthyAfterMs = o.unhealthyAfterMs ?? 20_000;
  const now = o.now ?? Date.now;
  let since: number | undefined;
  let stopped = false;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      const reason = await healthVerdict(o.url, intervalMs);
      if (stopped) return;
      if (reason === undefined) {
        since = undefined;
        return;
      }
      since ??= now();
      if (now() - since >= unhealthyAfterMs) {
        stopped = true;
        clearInterval(timer);
        o.onUnhealthy(`${reason}, for ${Math.round((now() - since) / 1000)} s`);
      }
    } finally {
      busy = false;
    }
  }, intervalMs);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
