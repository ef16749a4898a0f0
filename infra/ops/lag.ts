import {
  type GroupDescription,
  type GroupKind,
  groupKind,
  type KafkaAdmin,
  type PartitionBounds,
  shownGroupKinds,
} from '../../core/kafka/index.ts';
import { formatTable } from './table.ts';

/** One partition a group reads or has committed on. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** The group's committed offset (the next record it will read); null when it never committed one. */
  committed: bigint | null;
  /** The partition's log end offset; null when the topic no longer exists. */
  logEnd: bigint | null;
  /** Records between the commit and the log end; null when either is unknown. */
  lag: number | null;
  /** The member the partition is assigned to (`client-id@host (member)`), null when none. */
  member: string | null;
}

/** A group's lag, members and state. */
export interface GroupLag {
  group: string;
  kind: GroupKind;
  /** Kafka's group state (`Stable`, `Empty`, `PreparingRebalance`…), or `not started`. */
  state: string;
  members: number;
  /** Sum of the known lags. */
  totalLag: number;
  /** Partitions without a committed offset (their lag is unknown). */
  uncommitted: number;
  partitions: PartitionLag[];
}

/** What {@link readLag} found. */
export interface LagReport {
  groups: GroupLag[];
  /** Groups left out (without `all`), by kind. */
  hidden: Partial<Record<GroupKind, number>>;
}

/** Options of {@link readLag}. */
export interface ReadLagOptions {
  /** Only this group (listed even if its kind is hidden by default). */
  group?: string;
  /** Include test, benchmark, legacy reader and Connect groups. */
  all?: boolean;
  /** Groups the platform defines: listed as `not started` when the cluster has never seen them. */
  known?: readonly string[];
}

interface SelectedGroup {
  groupId: string;
  kind: GroupKind;
}

/**
 * Reads, for each consumer group (or one), every partition it reads or has committed on:
 * committed offset, log end and lag, with the member it is assigned to, the group's state and
 * member count. A partition of an assigned topic without a commit has `committed: null`.
 */
export async function readLag(admin: KafkaAdmin, o: ReadLagOptions = {}): Promise<LagReport> {
  const { selected, hidden } = selectGroups(await admin.listGroups(), o);
  if (selected.length === 0) return { groups: [], hidden };

  const existing = new Set(await admin.listTopics());
  const bounds = new Map<string, Promise<PartitionBounds[]>>();
  const boundsOf = (topic: string) => {
    let p = bounds.get(topic);
    if (!p) {
      p = admin.partitionBounds(topic);
      bounds.set(topic, p);
    }
    return p;
  };
  const described = await admin.describeGroups(selected.map((g) => g.groupId));
  const groups = await Promise.all(
    selected.map(async (g): Promise<GroupLag> => {
      const d = described.find((x) => x.groupId === g.groupId);
      // Connect's workers commit nothing and own no partitions.
      const isConsumer = g.kind !== 'connect';
      const committed = isConsumer ? await admin.committedOffsets(g.groupId) : [];
      const owners = isConsumer ? ownersOf(d) : new Map<string, string>();
      const commits = new Map(committed.map((c) => [`${c.topic}/${c.partition}`, c.offset]));
      const topics = [
        ...new Set([
          ...committed.map((c) => c.topic),
          ...[...owners.keys()].map((k) => k.slice(0, k.lastIndexOf('/'))),
        ]),
      ].sort();
      const partitions: PartitionLag[] = [];
      for (const topic of topics) {
        const logEnds = existing.has(topic)
          ? new Map((await boundsOf(topic)).map((b) => [b.partition, b.high]))
          : undefined;
        // A topic deleted since the group committed on it: its commits, without a log end.
        const ids = logEnds
          ? [...logEnds.keys()]
          : committed.filter((c) => c.topic === topic).map((c) => c.partition);
        for (const partition of ids.sort((a, b) => a - b)) {
          const at = `${topic}/${partition}`;
          const c = commits.get(at) ?? null;
          const end = logEnds?.get(partition) ?? null;
          const lag = c !== null && end !== null ? Math.max(0, Number(end - c)) : null;
          partitions.push({
            topic,
            partition,
            committed: c,
            logEnd: end,
            lag,
            member: owners.get(at) ?? null,
          });
        }
      }
      return {
        group: g.groupId,
        kind: g.kind,
        state: d === undefined ? 'not started' : d.state,
        members: d?.members.length ?? 0,
        totalLag: partitions.reduce((n, p) => n + (p.lag ?? 0), 0),
        uncommitted: partitions.filter((p) => p.committed === null).length,
        partitions,
      };
    }),
  );
  return { groups, hidden };
}

/** The groups to report (pure): one by name, or the shown kinds plus the platform's known ones. */
function selectGroups(
  listed: readonly { groupId: string; protocolType: string }[],
  o: ReadLagOptions,
): { selected: SelectedGroup[]; hidden: LagReport['hidden'] } {
  const classified = listed.map((g) => ({ groupId: g.groupId, kind: groupKind(g.groupId, g.protocolType) }));
  const hidden: LagReport['hidden'] = {};
  if (o.group !== undefined) {
    const named = classified.find((g) => g.groupId === o.group) ?? {
      groupId: o.group,
      kind: groupKind(o.group),
    };
    return { selected: [named], hidden };
  }
  const all = [...classified];
  for (const name of o.known ?? []) {
    if (!all.some((g) => g.groupId === name)) all.push({ groupId: name, kind: 'group' });
  }
  const selected = all.filter((g) => o.all || shownGroupKinds.has(g.kind));
  for (const g of all) if (!selected.includes(g)) hidden[g.kind] = (hidden[g.kind] ?? 0) + 1;
  selected.sort((a, b) => a.groupId.localeCompare(b.groupId));
  return { selected, hidden };
}

/** Who owns which partition (`topic/partition` → `client-id@host (member)`). */
function ownersOf(d: GroupDescription | undefined): Map<string, string> {
  const owners = new Map<string, string>();
  for (const m of d?.members ?? []) {
    // Classic member ids are `<client-id>-<uuid>`: the uuid's start tells members apart.
    const id = m.memberId.startsWith(`${m.clientId}-`) ? m.memberId.slice(m.clientId.length + 1) : m.memberId;
    const label = `${m.clientId}@${m.host.replace(/^\//, '')} (${id.slice(0, 8)})`;
    for (const p of m.assignment) owners.set(`${p.topic}/${p.partition}`, label);
  }
  return owners;
}

const kindNotes: Partial<Record<GroupKind, string>> = {
  'replay-cursor': 'replay cursor: its lag is dead letters not replayed yet',
};

/**
 * The report as text (pure): a summary line per group, then (with `details`) each group's
 * partitions. Unknown values print as `-`.
 */
export function formatLag(report: LagReport, { details = true }: { details?: boolean } = {}): string[] {
  const out: string[] = [];
  if (report.groups.length === 0) out.push('no consumer groups');
  else {
    out.push(
      ...formatTable(
        [
          ['GROUP', 'STATE', 'MEMBERS', 'LAG', 'PARTITIONS', 'NOT COMMITTED', ''],
          ...report.groups.map((g) => [
            g.group,
            g.state,
            String(g.members),
            String(g.totalLag),
            String(g.partitions.length),
            String(g.uncommitted),
            kindNotes[g.kind] ?? (g.kind === 'group' ? '' : g.kind),
          ]),
        ],
        ['left', 'left', 'right', 'right', 'right', 'right', 'left'],
      ),
    );
  }
  if (details) {
    for (const g of report.groups) {
      out.push('', `${g.group}: ${g.state}, ${plural(g.members, 'member')}, lag ${g.totalLag}`);
      if (g.partitions.length === 0) {
        out.push('  no committed offsets and no members');
        continue;
      }
      const rows = g.partitions.map((p) => [
        p.topic,
        String(p.partition),
        p.committed === null ? '-' : String(p.committed),
        p.logEnd === null ? '- (topic gone)' : String(p.logEnd),
        p.lag === null ? '-' : String(p.lag),
        p.member ?? '-',
      ]);
      const table = formatTable(
        [['TOPIC', 'PARTITION', 'COMMITTED', 'LOG-END', 'LAG', 'MEMBER'], ...rows],
        ['left', 'right', 'right', 'right', 'right', 'left'],
      );
      out.push(...table.map((l) => `  ${l}`));
    }
  }
  const hidden = Object.entries(report.hidden).map(([kind, n]) => `${n} ${kind}`);
  if (hidden.length > 0) out.push('', `not shown: ${hidden.join(', ')} group(s) (--all lists them)`);
  return out;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
