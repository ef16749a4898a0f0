import type { Admin } from 'kafkajs';

/**
 * What a Kafka consumer group is to Outstream, from its id and protocol (pure naming rules):
 * - `group`: a consumer group of the platform (`notifications`, `analytics.staging`, …);
 * - `replay-cursor`: `<group>.dlq-replay`, how far `npm run dlq -- replay` got in a group's
 *   dead-letter topics (its lag is the dead letters not replayed yet);
 * - `test` (`test-…`), `bench` (`bench-…`): throwaway groups of tests and benchmarks;
 * - `gateway`: `outstream-sse-<node>[-gap]`, one per realtime gateway node;
 * - `ops`: `outstream-ops-…`, the short-lived readers of these commands;
 * - `connect`: Kafka Connect's worker group (not a consumer of events).
 */
export type GroupKind = 'group' | 'replay-cursor' | 'test' | 'bench' | 'gateway' | 'ops' | 'connect';

/** Kinds listed without `--all`. */
export const shownKinds: ReadonlySet<GroupKind> = new Set(['group', 'replay-cursor']);

/** The prefix of the throwaway groups that ops commands use to read topics. */
export const opsReaderPrefix = 'outstream-ops-';

const cursorSuffix = '.dlq-replay';

/** Classifies a group by its id and protocol type (see {@link GroupKind}). */
export function groupKind(groupId: string, protocolType = 'consumer'): GroupKind {
  if (protocolType !== 'consumer' && protocolType !== '') return 'connect';
  if (groupId.startsWith('test-')) return 'test';
  if (groupId.startsWith('bench-')) return 'bench';
  if (groupId.startsWith('outstream-sse-')) return 'gateway';
  if (groupId.startsWith(opsReaderPrefix)) return 'ops';
  if (groupId.endsWith(cursorSuffix) && groupId.length > cursorSuffix.length) return 'replay-cursor';
  return 'group';
}

/** The kind of the group a dead-letter topic or replay cursor belongs to. */
export function ownerKind(group: string): GroupKind {
  const kind = groupKind(group);
  return kind === 'replay-cursor' ? groupKind(group.slice(0, -cursorSuffix.length)) : kind;
}

/** A group the cluster knows, classified. */
export interface ListedGroup {
  groupId: string;
  protocolType: string;
  kind: GroupKind;
}

/** Every group the cluster knows, sorted by id. */
export async function listGroups(admin: Admin): Promise<ListedGroup[]> {
  const { groups } = await admin.listGroups();
  return groups
    .map((g) => ({
      groupId: g.groupId,
      protocolType: g.protocolType,
      kind: groupKind(g.groupId, g.protocolType),
    }))
    .sort((a, b) => a.groupId.localeCompare(b.groupId));
}
