/**
 * Every naming rule Outstream applies to Kafka topics and consumer groups, in one place
 * (pure). The schema catalogue names event topics with {@link eventTopic} and
 * {@link ephemeralTopic}.
 */

/**
 * The topic of an aggregate whose events come through the outbox (Debezium's outbox router
 * writes `events.${routedByValue}`; keep the two in step).
 *
 * @example
 * eventTopic('booking'); // 'events.booking'
 */
export function eventTopic<A extends string>(aggregate: A): `events.${A}` {
  return `events.${aggregate}`;
}

/**
 * The topic of an aggregate whose events are ephemeral (`publish()`: straight to Kafka, no
 * database write, short retention).
 *
 * @example
 * ephemeralTopic('chat'); // 'ephemeral.chat'
 */
export function ephemeralTopic<A extends string>(aggregate: A): `ephemeral.${A}` {
  return `ephemeral.${aggregate}`;
}

/** True for a topic named by {@link ephemeralTopic}. */
export function isEphemeralTopic(name: string): boolean {
  return name.startsWith('ephemeral.') && name.length > 'ephemeral.'.length;
}

const deadLetterSeparator = '.dlq.';
const replayCursorSuffix = '.dlq-replay';

/** Prefixes of throwaway groups: tests and benchmarks create them, ops hides them. */
export const throwawayGroupPrefixes = { test: 'test-', bench: 'bench-' } as const;

/**
 * Groups that earlier versions created to read without committing (the realtime gateway's
 * live and gap readers, ops and analytics readers). Readers are group-less now; a cluster
 * may still list these until they expire.
 */
const legacyReaderPrefixes = ['outstream-sse-', 'outstream-ops-', 'outstream-analytics-read-'] as const;

/**
 * The dead-letter topic of `group` for records of `topic`.
 *
 * @example
 * deadLetterTopic('events.booking', 'notifications'); // 'events.booking.dlq.notifications'
 */
export function deadLetterTopic(topic: string, group: string): string {
  return `${topic}${deadLetterSeparator}${group}`;
}

/**
 * The source topic and group of a dead-letter topic: the inverse of {@link deadLetterTopic}.
 * Undefined for a topic not named `<topic>.dlq.<group>`.
 */
export function parseDeadLetterTopic(name: string): { topic: string; group: string } | undefined {
  const at = name.indexOf(deadLetterSeparator);
  if (at <= 0 || at + deadLetterSeparator.length >= name.length) return undefined;
  return { topic: name.slice(0, at), group: name.slice(at + deadLetterSeparator.length) };
}

/** The group whose committed offsets say how far `npm run dlq -- replay` got for `group`. */
export function replayCursorGroup(group: string): string {
  return `${group}${replayCursorSuffix}`;
}

/**
 * What a Kafka consumer group is to Outstream:
 * - `group`: a consumer group of the platform (`notifications`, `analytics.staging`, …);
 * - `replay-cursor`: `<group>.dlq-replay` (its lag is the dead letters not replayed yet);
 * - `test` (`test-…`), `bench` (`bench-…`): throwaway groups of tests and benchmarks;
 * - `legacy-reader`: a reader group of an earlier version (readers are group-less now);
 * - `connect`: Kafka Connect's worker group (not a consumer of events).
 */
export type GroupKind = 'group' | 'replay-cursor' | 'test' | 'bench' | 'legacy-reader' | 'connect';

/** Kinds that ops commands list without `--all`. */
export const shownGroupKinds: ReadonlySet<GroupKind> = new Set(['group', 'replay-cursor']);

/** Classifies a group by its id and protocol type (see {@link GroupKind}). */
export function groupKind(groupId: string, protocolType = 'consumer'): GroupKind {
  if (protocolType !== 'consumer' && protocolType !== '') return 'connect';
  if (groupId.startsWith(throwawayGroupPrefixes.test)) return 'test';
  if (groupId.startsWith(throwawayGroupPrefixes.bench)) return 'bench';
  if (legacyReaderPrefixes.some((p) => groupId.startsWith(p))) return 'legacy-reader';
  if (groupId.endsWith(replayCursorSuffix) && groupId.length > replayCursorSuffix.length)
    return 'replay-cursor';
  return 'group';
}

/** The kind of the group a dead-letter topic or replay cursor belongs to. */
export function ownerKind(group: string): GroupKind {
  const kind = groupKind(group);
  return kind === 'replay-cursor' ? groupKind(group.slice(0, -replayCursorSuffix.length)) : kind;
}
