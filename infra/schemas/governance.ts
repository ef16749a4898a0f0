import { CompatibilityLevel, type SchemaRegistry } from '../../core/schema-registry.ts';
import { type AvroSchema, buildAvroType, catalogue, eventTypes } from '../../schemas/index.ts';

/** One schema to govern: a subject and the local schema for it. */
export interface GovernedSchema {
  subject: string;
  schema: AvroSchema;
  /** Compatibility level the subject must have (default BACKWARD). */
  compatibility?: CompatibilityLevel;
}

/**
 * Per-subject compatibility levels that differ from BACKWARD (consumers upgrade first).
 * Add a line here to make a subject FULL, FORWARD, …; `schemas register` applies it.
 */
export const compatibilityOverrides: Readonly<Record<string, CompatibilityLevel>> = {};

/** Every schema of the catalogue, with its subject and level. */
export function catalogueSchemas(): GovernedSchema[] {
  return eventTypes.map((t) => {
    const { subject, schema } = catalogue[t];
    return { subject, schema, compatibility: compatibilityOverrides[subject] ?? CompatibilityLevel.backward };
  });
}

/** A subject as the registry holds it. */
export interface SubjectSummary {
  subject: string;
  /** The subject's own level, or the global one it inherits (`inherited`). */
  level: CompatibilityLevel | undefined;
  inherited: boolean;
  versions: number[];
  /** The schema id of the latest version. */
  latestId: number | undefined;
  /** Whether the catalogue (schemas/catalogue.ts) declares the subject. */
  inCatalogue: boolean;
}

/** Every subject of the registry with its compatibility level and versions (`schemas list`, the console). */
export async function listSubjects(registry: SchemaRegistry): Promise<SubjectSummary[]> {
  const declared = new Set(catalogueSchemas().map((s) => s.subject));
  const global = await registry.globalCompatibility();
  const subjects = (await registry.subjects()).sort();
  return Promise.all(
    subjects.map(async (subject) => {
      const [own, versions, latest] = await Promise.all([
        registry.compatibility(subject),
        registry.versions(subject),
        registry.latest(subject),
      ]);
      return {
        subject,
        level: own ?? global,
        inherited: own === undefined,
        versions,
        latestId: latest?.id,
        inCatalogue: declared.has(subject),
      };
    }),
  );
}

/** What `register` did for one subject. */
export interface RegisterResult {
  subject: string;
  id: number;
  change: 'new subject' | 'new version' | 'unchanged';
  compatibilitySet: boolean;
}

/**
 * Registers every schema (idempotent: an identical schema keeps its id) and sets each
 * subject's compatibility level first, so that the registry itself refuses a breaking
 * version.
 */
export async function registerSchemas(
  registry: SchemaRegistry,
  schemas: readonly GovernedSchema[],
): Promise<RegisterResult[]> {
  const results: RegisterResult[] = [];
  for (const { subject, schema, compatibility = CompatibilityLevel.backward } of schemas) {
    const known = await registry.lookupId(subject, schema);
    const latest = known === undefined ? await registry.latest(subject) : undefined;
    const current = await registry.compatibility(subject);
    if (current !== compatibility) await registry.setCompatibility(subject, compatibility);
    const id = known ?? (await registry.register(subject, schema));
    const change = known !== undefined ? 'unchanged' : latest === undefined ? 'new subject' : 'new version';
    results.push({ subject, id, change, compatibilitySet: current !== compatibility });
  }
  return results;
}

/** The verdict of `check` on one subject. */
export interface CheckResult {
  subject: string;
  level: CompatibilityLevel;
  status: 'compatible' | 'incompatible' | 'new subject' | 'unchanged';
  /** Why it is incompatible, from avsc's schema resolution (field paths and types). */
  explanation?: string;
}

/**
 * Checks every local schema against the registry's latest version of its subject under
 * the subject's level. The registry gives the verdict; avsc's reader/writer resolution
 * gives a readable reason for an incompatible change.
 */
export async function checkSchemas(
  registry: SchemaRegistry,
  schemas: readonly GovernedSchema[],
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const { subject, schema, compatibility } of schemas) {
    const level = (await registry.compatibility(subject)) ?? compatibility ?? CompatibilityLevel.backward;
    const latest = await registry.latest(subject);
    if (!latest) {
      results.push({ subject, level, status: 'new subject' });
      continue;
    }
    if ((await registry.lookupId(subject, schema)) !== undefined) {
      results.push({ subject, level, status: 'unchanged' });
      continue;
    }
    const ok = await registry.isCompatible(subject, schema);
    const result: CheckResult = { subject, level, status: ok ? 'compatible' : 'incompatible' };
    if (!ok) result.explanation = explain(schema, JSON.parse(latest.schema) as AvroSchema, level);
    results.push(result);
  }
  return results;
}

/** Why `next` cannot replace `previous` under `level`, in avsc's words. */
export function explain(next: AvroSchema, previous: AvroSchema, level: CompatibilityLevel): string {
  const reasons: string[] = [];
  const nextType = buildAvroType(next);
  const prevType = buildAvroType(previous);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  if (backward) {
    try {
      nextType.createResolver(prevType);
    } catch (e) {
      reasons.push(
        `consumers on the new schema cannot read events written with the old one: ${(e as Error).message}`,
      );
    }
  }
  if (forward) {
    try {
      prevType.createResolver(nextType);
    } catch (e) {
      reasons.push(
        `consumers on the old schema cannot read events written with the new one: ${(e as Error).message}`,
      );
    }
  }
  return reasons.join('\n') || `the registry refused it under ${level}`;
}
