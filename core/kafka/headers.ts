import type { RecordHeaders } from './types.ts';

/** A header's value as text; undefined when absent or null. */
export function headerText(headers: RecordHeaders, name: string): string | undefined {
  const v = headers.get(name);
  return v === undefined || v === null ? undefined : v.toString('utf8');
}

/**
 * Headers as a producer takes them: null values are left out (a Kafka header may be null,
 * but several clients cannot write one, and a null carries nothing).
 */
export function producibleHeaders(headers: RecordHeaders): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [name, value] of headers) if (value !== null) out[name] = value;
  return out;
}

/** Builds record headers from text or bytes (tests, fakes and dead letters). */
export function recordHeaders(entries: Readonly<Record<string, string | Buffer | null>>): RecordHeaders {
  return new Map(
    Object.entries(entries).map(([k, v]) => [k, v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v)]),
  );
}
