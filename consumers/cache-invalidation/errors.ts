import { ReplyError } from 'ioredis';
import { Dependency, DependencyUnavailableError, ErrorCode, OutstreamError } from '../../core/errors.ts';

/** A cache key or tag that cannot be used (empty, too long, or with a control character). */
export class InvalidCacheKeyError extends OutstreamError {
  readonly what: 'key' | 'tag';
  readonly value: string;
  constructor(what: 'key' | 'tag', value: unknown, reason: string) {
    super(ErrorCode.cacheKeyInvalid, `invalid cache ${what} ${JSON.stringify(value)}: ${reason}`);
    this.what = what;
    this.value = String(value);
  }
}

/**
 * Another process held the loader lock of a key for longer than `waitTimeoutMs` (a slow or
 * hung loader). Retriable: the next call usually finds the entry filled.
 */
export class CacheWaitTimeoutError extends OutstreamError {
  readonly key: string;
  constructor(key: string, waitedMs: number) {
    super(
      ErrorCode.cacheWaitTimeout,
      `waited ${waitedMs} ms for another loader of cache key "${key}": raise waitTimeoutMs or speed up the loader`,
      { retriable: true },
    );
    this.key = key;
  }
}

const maxLength = 512;

/** Checks a key or tag; returns it unchanged. */
export function checkName(what: 'key' | 'tag', value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidCacheKeyError(what, value, 'must be a non-empty string');
  }
  if (value.length > maxLength)
    throw new InvalidCacheKeyError(what, value, `longer than ${maxLength} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new InvalidCacheKeyError(what, value, 'contains a control character');
  }
  return value;
}

// Redis replies that mean "not now" (an error reply's code is its first word, by protocol):
// loading its dataset after a restart, a script running too long, a replica without master.
const notNowReplies = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'CLUSTERDOWN', 'TRYAGAIN']);

/**
 * The error to throw for a failed Redis call: a `DependencyUnavailableError` (waited out,
 * never dead-lettered) when Redis cannot serve — ioredis gave the command up while
 * reconnecting (`MaxRetriesPerRequestError`), or Redis answered that it cannot serve yet
 * (`LOADING` after a restart, …) — else the error itself.
 */
export function redisError(e: unknown): unknown {
  const name = (e as { name?: unknown } | null)?.name;
  const reply = e instanceof ReplyError ? String((e as Error).message).split(' ', 1)[0]! : undefined;
  const down = name === 'MaxRetriesPerRequestError' || (reply !== undefined && notNowReplies.has(reply));
  return down ? new DependencyUnavailableError(Dependency.redis, (e as Error).message, { cause: e }) : e;
}
