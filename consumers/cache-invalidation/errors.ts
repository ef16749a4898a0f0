import { ErrorCode, OutstreamError } from '../../core/errors.ts';

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
