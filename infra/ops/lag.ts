import type { Admin, GroupDescription } from 'kafkajs';
import { AssignerProtocol } from '../../core/kafka.ts';
import { type GroupKind, groupKind, type ListedGroup, listGroups, shownKinds } from './consumer-groups.ts';
import { formatTable } from './table.ts';

/** One partition a group reads or has committed on. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** The group's committed offset (the next record it will read); null when it never committed one. */
  committed: string | null;
  /** The partition's log end offset; null when the topic no longer exists. */
  logEnd: string | null;
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
  /** Include test, benchmark, gateway, ops-reader and Connect groups. */
  all?: boolean;
  /** Groups the platform defines: listed as `not started` when the cluster has never seen them. */
  known?: readonly string[];
}

/**
 * Reads, for each consumer group (or one), every partition it reads or has committed on:
 * committed offset, log end and lag, with the member it is assigned to, the group's state and
 * member count. A partition of a subscribed topic without a commit has `committed: null`.
 */
export async function readLag(admin: Admin, o: ReadLagOptions = {}): Promise<LagReport> {
  const listed = await listGroups(admin);
  const hidden: LagReport['hidden'] = {};
  let selected: ListedGroup[];
  if (o.group !== undefined) {
    selected = [
      listed.find((g) => g.groupId === o.group) ?? {
        groupId: o.group,
        protocolType: 'consumer',
        kind: groupKind(o.group),
      },
    ];
  } else {
    const all = [...listed];
    for (const name of o.known ?? []) {
      if (!all.some((g) => g.groupId === name))
        all.push({ groupId: name, protocolType: 'consumer', kind: 'group' });
    }
    selected = all.filter((g) => o.all || shownKinds.has(g.kind));
    for (const g of all) if (!selected.includes(g)) hidden[g.kind] = (hidden[g.kind] ?? 0) + 1;
    selected.sort((a, b) => a.groupId.localeCompare(b.groupId));
  }
  if (selected.length === 0) return { groups: [], hidden };

  const existing = new Set(await admin.listTopics());
  const ends = new Map<string, Promise<Map<number, string>>>();
  const endsOf = (topic: string) => {
    let p = ends.get(topic);
    if (!p) {
      p = admin.fetchTopicOffsets(topic).then((os) => new Map(os.map((e) => [e.partition, e.high])));
      ends.set(topic, p);
    }
    return p;
  };
  const { groups: described } = await admin.describeGroups(selected.map((g) => g.groupId));
  const groups = await Promise.all(
    selected.map(async (g) => {
      const d = described.find((x) => x.groupId === g.groupId);
      const isConsumer = g.kind !== 'connect';
      const committed = isConsumer ? await admin.fetchOffsets({ groupId: g.groupId }) : [];
      const { owners, subscribed } = isConsumer ? membership(d) : { owners: new Map(), subscribed: [] };
      const commits = new Map<string, string>();
      for (const t of committed)
        for (const p of t.partitions)
          if (BigInt(p.offset) >= 0n) commits.set(`${t.topic}/${p.partition}`, p.offset);
      const topics = [
        ...new Set([
          ...committed.map((t) => t.topic),
          ...subscribed,
          ...[...owners.keys()].map((k) => k.slice(0, k.lastIndexOf('/'))),
        ]),
      ].sort();
      const partitions: PartitionLag[] = [];
      for (const topic of topics) {
        const logEnds = existing.has(topic) ? await endsOf(topic) : undefined;
        const ids = logEnds
          ? [...logEnds.keys()]
          : (committed.find((t) => t.topic === topic)?.partitions.map((p) => p.partition) ?? []);
        for (const partition of ids.sort((a, b) => a - b)) {
          const at = `${topic}/${partition}`;
          const c = commits.get(at) ?? null;
          const end = logEnds?.get(partition) ?? null;
          const lag = c !== null && end !== null ? Math.max(0, Number(BigInt(end) - BigInt(c))) : null;
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
      const state = !d || d.state === 'Dead' ? 'not started' : d.state;
      return {
        group: g.groupId,
        kind: g.kind,
        state,
        members: d?.members.length ?? 0,
        totalLag: partitions.reduce((n, p) => n + (p.lag ?? 0), 0),
        uncommitted: partitions.filter((p) => p.committed === null).length,
        partitions,
      };
    }),
  );
  return { groups, hidden };
}

/** Who owns which partition, and which topics the members subscribe to (consumer protocol). */
function membership(d: GroupDescription | undefined) {
  const owners = new Map<string, string>();
  const subscribed = new Set<string>();
  for (const m of d?.members ?? []) {
    const id = m.memberId.startsWith(`${m.clientId}-`) ? m.memberId.slice(m.clientId.length + 1) : m.memberId;
    const label = `${m.clientId}@${m.clientHost.replace(/^\//, '')} (${id.slice(0, 8)})`;
    try {
      const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      for (const [topic, ps] of Object.entries(a?.assignment ?? {}))
        for (const p of ps) owners.set(`${topic}/${p}`, label);
    } catch {
      // Not the consumer protocol's encoding: no assignment to show.
    }
    try {
      for (const t of AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics ?? [])
        subscribed.add(t);
    } catch {
      // Same.
    }
  }
  return { owners, subscribed: [...subscribed] };
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
        p.committed ?? '-',
        p.logEnd ?? '- (topic gone)',
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
