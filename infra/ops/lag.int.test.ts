import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Admin, Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitGroupOffsets } from '../../consumers/framework/index.ts';
import { createTopic, deleteTopics, produce } from '../../consumers/framework/test-fixtures/kafka.ts';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka.ts';
import { waitFor } from '../../core/wait.ts';
import { formatLag, readLag } from './lag.ts';

const config = loadConfig(process.env);
const kafka = createKafka(config.kafka);
const run = randomUUID().slice(0, 8);
const topic = `test.ops-lag.${run}`;
const group = `test-ops-lag-${run}`;
const main = path.join(import.meta.dirname, '..', 'main.ts');
let admin: Admin;
let member: Consumer | undefined;

// Partition 0 holds 5 records, partition 1 holds 3, partition 2 none. The group commits 2 on
// partition 0 (lag 3), 3 on partition 1 (lag 0), and never commits on partition 2.
beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  await createTopic(kafka, topic, 3);
  const at = (partition: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({ partition, key: `k${partition}-${i}`, value: `v${i}` }));
  await produce(kafka, topic, [...at(0, 5), ...at(1, 3)]);
  await commitGroupOffsets(kafka, group, [
    { topic, partition: 0, offset: '2' },
    { topic, partition: 1, offset: '3' },
  ]);
});

afterAll(async () => {
  await member?.disconnect();
  await admin.deleteGroups([group]).catch(() => {});
  await admin.disconnect();
  await deleteTopics(kafka, [topic]);
});

describe('lag', () => {
  it('shows committed offset, log end and lag per partition, "-" where the group never committed', async () => {
    const report = await readLag(admin, { group });
    expect(report.groups).toHaveLength(1);
    const g = report.groups[0]!;
    expect(g).toMatchObject({ group, kind: 'test', state: 'Empty', members: 0, totalLag: 3, uncommitted: 1 });
    expect(g.partitions).toEqual([
      { topic, partition: 0, committed: '2', logEnd: '5', lag: 3, member: null },
      { topic, partition: 1, committed: '3', logEnd: '3', lag: 0, member: null },
      { topic, partition: 2, committed: null, logEnd: '0', lag: null, member: null },
    ]);
    const text = formatLag(report).join('\n');
    expect(text).toMatch(new RegExp(`${topic.replaceAll('.', '\\.')}\\s+2\\s+-\\s+0\\s+-\\s+-`));
  });

  it('shows the members, their partitions and the group state while a member is joined', async () => {
    member = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100, sessionTimeout: 10_000 });
    await member.connect();
    await member.subscribe({ topics: [topic], fromBeginning: false });
    const joined = new Promise<void>((resolve) => member!.on(member!.events.GROUP_JOIN, () => resolve()));
    // Joined but paused: it commits nothing, so the offsets stay where the test put them.
    await member.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => {} });
    member.pause([{ topic }]);
    await joined;
    const g = await waitFor(
      async () => {
        const r = (await readLag(admin, { group })).groups[0];
        return r?.state === 'Stable' ? r : undefined;
      },
      { timeoutMs: 60_000, what: `${group} to be Stable` },
    );
    expect(g.members).toBe(1);
    expect(g.totalLag).toBe(3);
    for (const p of g.partitions) expect(p.member).toMatch(/^outstream@127\.0\.0\.1 \([0-9a-f]{8}\)$/);
    await member.disconnect();
    member = undefined;
  });

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

  it('npm run lag prints the table, or JSON with --json, and exits 0', async () => {
    const exec = promisify(execFile);
    const json = await exec(process.execPath, [main, 'lag', '--group', group, '--json']);
    const parsed = JSON.parse(json.stdout) as Awaited<ReturnType<typeof readLag>>;
    expect(parsed.groups[0]?.partitions.map((p) => p.lag)).toEqual([3, 0, null]);
    const text = await exec(process.execPath, [main, 'lag', '--group', group]);
    expect(text.stdout).toContain(`${group}: Empty, 0 members, lag 3`);
    // A bad flag is a usage error naming the flag (exit 2).
    const bad = await exec(process.execPath, [main, 'lag', '--grup', group]).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining("'--grup'") });
  });
});
