import { ErrorCode, OutstreamError } from './errors.ts';

/** Compatibility levels of the Confluent API. */
export const CompatibilityLevel = {
  backward: 'BACKWARD',
  backwardTransitive: 'BACKWARD_TRANSITIVE',
  forward: 'FORWARD',
  forwardTransitive: 'FORWARD_TRANSITIVE',
  full: 'FULL',
  fullTransitive: 'FULL_TRANSITIVE',
  none: 'NONE',
} as const;
export type CompatibilityLevel = (typeof CompatibilityLevel)[keyof typeof CompatibilityLevel];

/** A schema as the registry holds it under a subject. */
export interface SubjectVersion {
  subject: string;
  id: number;
  version: number;
  schema: string;
}

/** The registry answered with an error status. `status` and Confluent's `errorCode` are kept. */
export class RegistryError extends OutstreamError {
  readonly status: number;
  readonly errorCode: number | undefined;
  constructor(what: string, status: number, body: string) {
    let errorCode: number | undefined;
    let message = body;
    try {
      const parsed = JSON.parse(body) as { error_code?: number; message?: string };
      errorCode = parsed.error_code;
      message = parsed.message ?? body;
    } catch {
      // not JSON: keep the raw body
    }
    // 5xx and 429 are the registry's trouble, worth retrying; 4xx are ours.
    super(ErrorCode.registry, `schema registry: ${what} failed (${status}): ${message}`, {
      retriable: status >= 500 || status === 429,
    });
    this.status = status;
    this.errorCode = errorCode;
  }
}

/**
 * A small client of the Confluent schema-registry REST API (what Apicurio serves at
 * `/apis/ccompat/v7`). Written on `fetch` because the config and compatibility endpoints
 * that governance needs are not in `@kafkajs/confluent-schema-registry`; ids and schemas
 * by id are cached (they are immutable).
 *
 * @example
 * const registry = createSchemaRegistry({ url: config.registry.url });
 * const id = await registry.lookupId('events.booking-outstream.booking.BookingCreated', schema);
 */
export function createSchemaRegistry({ url, timeoutMs = 10_000 }: { url: string; timeoutMs?: number }) {
  const base = url.replace(/\/+$/, '');
  const schemasById = new Map<number, Promise<string>>();

  async function call<T>(
    what: string,
    path: string,
    init: RequestInit = {},
    allow404 = false,
  ): Promise<T | undefined> {
    const res = await fetch(`${base}${path}`, {
      ...init,
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', ...init.headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.text();
    if (res.status === 404 && allow404) return undefined;
    if (!res.ok) throw new RegistryError(what, res.status, body);
    return JSON.parse(body) as T;
  }
  const subjectPath = (subject: string) => `/subjects/${encodeURIComponent(subject)}`;
  const schemaBody = (schema: unknown) =>
    JSON.stringify({ schemaType: 'AVRO', schema: JSON.stringify(schema) });

  return {
    url: base,

    /** The id of this exact schema under `subject`, or undefined when it is not registered there. */
    async lookupId(subject: string, schema: unknown): Promise<number | undefined> {
      const r = await call<{ id: number }>(
        `lookup under ${subject}`,
        subjectPath(subject),
        { method: 'POST', body: schemaBody(schema) },
        true,
      );
      return r?.id;
    },

    /** Registers `schema` under `subject` (idempotent: an existing identical schema keeps its id). */
    async register(subject: string, schema: unknown): Promise<number> {
      const r = await call<{ id: number }>(`register under ${subject}`, `${subjectPath(subject)}/versions`, {
        method: 'POST',
        body: schemaBody(schema),
      });
      return r!.id;
    },

    /** The schema text for an id (cached forever: ids are immutable). */
    schemaById(id: number): Promise<string> {
      let p = schemasById.get(id);
      if (!p) {
        p = call<{ schema: string }>(`schema ${id}`, `/schemas/ids/${id}`).then((r) => r!.schema);
        // A failed lookup must not be cached: the next call tries again.
        p.catch(() => schemasById.delete(id));
        schemasById.set(id, p);
      }
      return p;
    },

    /** Every subject the registry holds. */
    async subjects(): Promise<string[]> {
      return (await call<string[]>('list of subjects', '/subjects'))!;
    },

    /** The version numbers under a subject (empty for an unknown subject). */
    async versions(subject: string): Promise<number[]> {
      return (
        (await call<number[]>(`versions of ${subject}`, `${subjectPath(subject)}/versions`, {}, true)) ?? []
      );
    },

    /** The latest version under a subject, or undefined for an unknown subject. */
    latest(subject: string): Promise<SubjectVersion | undefined> {
      return call<SubjectVersion>(
        `latest of ${subject}`,
        `${subjectPath(subject)}/versions/latest`,
        {},
        true,
      );
    },

    /** The subject's compatibility level, or undefined when it only inherits the global one. */
    async compatibility(subject: string): Promise<CompatibilityLevel | undefined> {
      const r = await call<{ compatibilityLevel: CompatibilityLevel }>(
        `config of ${subject}`,
        `/config/${encodeURIComponent(subject)}`,
        {},
        true,
      );
      return r?.compatibilityLevel;
    },

    /** The registry's global compatibility level (what subjects without their own inherit). */
    async globalCompatibility(): Promise<CompatibilityLevel | undefined> {
      const r = await call<{ compatibilityLevel: CompatibilityLevel }>('global config', '/config', {}, true);
      return r?.compatibilityLevel;
    },

    /** Sets the subject's compatibility level. */
    async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
      await call(`set config of ${subject}`, `/config/${encodeURIComponent(subject)}`, {
        method: 'PUT',
        body: JSON.stringify({ compatibility: level }),
      });
    },

    /** The registry's verdict on `schema` against the subject's latest version under its level. */
    async isCompatible(subject: string, schema: unknown): Promise<boolean> {
      const r = await call<{ is_compatible: boolean }>(
        `compatibility check under ${subject}`,
        `/compatibility${subjectPath(subject)}/versions/latest`,
        { method: 'POST', body: schemaBody(schema) },
        true,
      );
      // Confluent answers 404 for an unknown subject (Apicurio: true): nothing to break.
      return r?.is_compatible ?? true;
    },
  };
}

/** The client {@link createSchemaRegistry} returns. */
export type SchemaRegistry = ReturnType<typeof createSchemaRegistry>;
