import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka, type GroupConsumer, type KafkaAdmin, readAll } from '../../core/kafka/index.ts';
import { waitFor } from '../../core/wait.ts';
import { formatLag, readLag } from './lag.ts';

const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const run = randomUUID().slice(0, 8);
const topic = `test.ops-lag.${run}`;
const group = `test-ops-lag-${run}`;
const main = path.join(import.meta.dirname, '..', 'main.ts');
let admin: KafkaAdmin;
let member: GroupConsumer | undefined;

// Partition 0 holds 5 records, partition 1 holds 3, partition 2 none. The group commits 2 on
// partition 0 (lag 3), 3 on partition 1 (lag 0), and never commits on partition 2.
beforeAll(async () => {
  admin = kafka.admin();
  await admin.createTopics([{ topic, partitions: 3, replicationFactor: 1 }]);
  const at = (partition: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({ topic, partition, key: `k${partition}-${i}`, value: `v${i}` }));
  const producer = kafka.producer();
  await producer.send([...at(0, 5), ...at(1, 3)]);
  await producer.close();
  await admin.setGroupOffsets(group, [
    { topic, partition: 0, offset: 2n },
    { topic, partition: 1, offset: 3n },
  ]);
});

afterAll(async () => {
  await member?.close();
  await admin.deleteGroups([group]).catch(() => {});
  await admin.deleteTopics([topic]).catch(() => {});
  await admin.close();
});

describe('lag', () => {
  it('shows committed offset, log end and lag per partition, "-" where the group never committed', async () => {
    const report = await readLag(admin, { group });
    expect(report.groups).toHaveLength(1);
    const g = report.groups[0]!;
    expect(g).toMatchObject({ group, kind: 'test', state: 'Empty', members: 0, totalLag: 3, uncommitted: 1 });
    expect(g.partitions).toEqual([
      { topic, partition: 0, committed: 2n, logEnd: 5n, lag: 3, member: null },
      { topic, partition: 1, committed: 3n, logEnd: 3n, lag: 0, member: null },
      { topic, partition: 2, committed: null, logEnd: 0n, lag: null, member: null },
    ]);
    const text = formatLag(report).join('\n');
    expect(text).toMatch(new RegExp(`${topic.replaceAll('.', '\\.')}\\s+2\\s+-\\s+0\\s+-\\s+-`));
  });

  // Both group protocols: KIP-848 groups are described by another request than classic ones.
  it.each(['classic', 'consumer'] as const)(
    'shows the members, their partitions and the group state while a %s member is joined',
    async (protocol) => {
      const joinedGroup = `${group}-${protocol}`;
      await admin.setGroupOffsets(joinedGroup, [
        { topic, partition: 0, offset: 2n },
        { topic, partition: 1, offset: 3n },
      ]);
      // Joined, never polled and never committing: the offsets stay where the test put them.
      const joined = kafka.groupConsumer({
        groupId: joinedGroup,
        topics: [topic],
        protocol,
        listener: { assigned: async () => {}, revoked: async () => {}, lost: () => {} },
      });
      member = joined;
      try {
        await joined.start();
        const g = await waitFor(
          async () => {
            const r = (await readLag(admin, { group: joinedGroup })).groups[0];
            return r?.state === 'Stable' && r.partitions.length === 3 && r.partitions.every((p) => p.member)
              ? r
              : undefined;
          },
          { timeoutMs: 60_000, what: `${joinedGroup} to be Stable with its partitions owned` },
        );
        expect(g.members).toBe(1);
        expect(g.totalLag).toBe(3);
        expect(g.partitions.map((p) => [p.partition, p.committed])).toEqual([
          [0, 2n],
          [1, 3n],
          [2, null],
        ]);
        // `client-id@host (member)`: the client id names the process, the member id's start the member.
        const owner = new RegExp(`^${config.kafka.clientId}\\S*@127\\.0\\.0\\.1 \\([\\w-]{8}\\)$`);
        for (const p of g.partitions) expect(p.member).toMatch(owner);
      } finally {
        await joined.close();
        member = undefined;
        await admin.deleteGroups([joinedGroup]).catch(() => {});
      }
    },
  );

  it('leaves test groups out unless asked for all', async () => {
    const shown = await readLag(admin, { known: ['a-group-never-started'] });
    expect(shown.groups.map((g) => g.group)).not.toContain(group);
    expect(shown.hidden.test).toBeGreaterThanOrEqual(1);
    const never = shown.groups.find((g) => g.group === 'a-group-never-started');
    expect(never).toMatchObject({ state: 'not started', members: 0, partitions: [] });
    const all = await readLag(admin, { all: true });
    expect(all.groups.map((g) => g.group)).toContain(group);
    expect(all.hidden).toEqual({});
  });

  it('never lists a reader as a group: reads join none, and old reader groups are hidden', async () => {
    const before = new Set((await admin.listGroups()).map((g) => g.groupId));
    const bounds = await admin.partitionBounds(topic);
    const read = await readAll(kafka, {
      ranges: bounds.map((b) => ({ topic, partition: b.partition, from: b.low, to: b.high })),
    });
    expect(read).toHaveLength(8);
    const after = (await admin.listGroups()).map((g) => g.groupId).filter((id) => !before.has(id));
    // Other tests may start groups meanwhile; a reader's would be the client's own.
    expect(after.filter((id) => id.startsWith('outstream'))).toEqual([]);
    // A reader group an earlier version left behind: hidden without --all, listed with it.
    const legacy = `outstream-ops-${run}`;
    await admin.setGroupOffsets(legacy, [{ topic, partition: 0, offset: 1n }]);
    try {
      const shown = await readLag(admin, {});
      expect(shown.groups.map((g) => g.group)).not.toContain(legacy);
      expect(shown.hidden['legacy-reader']).toBeGreaterThanOrEqual(1);
      const all = await readLag(admin, { all: true });
      expect(all.groups.find((g) => g.group === legacy)).toMatchObject({ kind: 'legacy-reader' });
    } finally {
      await admin.deleteGroups([legacy]).catch(() => {});
    }
  });

  it('npm run lag prints the table or JSON and exits 0; a bad flag, duration or unknown group is a usage error', async () => {
    const exec = promisify(execFile);
    const json = await exec(process.execPath, [main, 'lag', '--group', group, '--json']);
    const parsed = JSON.parse(json.stdout) as {
      groups: { partitions: { committed: string | null; lag: number | null }[] }[];
    };
    expect(parsed.groups[0]?.partitions.map((p) => p.lag)).toEqual([3, 0, null]);
    // Offsets print as decimal strings (JSON has no 64-bit integers).
    expect(parsed.groups[0]?.partitions.map((p) => p.committed)).toEqual(['2', '3', null]);
    const text = await exec(process.execPath, [main, 'lag', '--group', group]);
    expect(text.stdout).toContain(`${group}: Empty, 0 members, lag 3`);
    const help = await exec(process.execPath, [main, 'lag', '--help']);
    expect(help.stdout).toContain('lag [--group g]');
    // A bad flag is a usage error naming the flag (exit 2).
    const bad = await exec(process.execPath, [main, 'lag', '--grup', group]).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining("'--grup'") });
    // A group nobody ever ran is an error naming it, not an empty report.
    const unknown = await exec(process.execPath, [main, 'lag', '--group', 'test-no-such-group']).catch(
      (e: unknown) => e,
    );
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('--group test-no-such-group') });
    // A bad duration is a usage error naming its flag.
    const duration = await exec(process.execPath, [main, 'outbox', 'prune', '--older-than', 'banana']).catch(
      (e: unknown) => e,
    );
    expect(duration).toMatchObject({ code: 2, stderr: expect.stringContaining('--older-than') });
  });
});
