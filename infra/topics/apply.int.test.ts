import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createKafka } from '../../core/kafka/index.ts';
import { applyTopics } from './apply.ts';
import type { TopicSpec } from './topics.ts';

const kafka = createKafka(loadConfig(process.env).kafka);
const admin = kafka.admin();
const name = `test.topics-apply.${randomUUID()}`;
const spec = (o: { partitions?: number; keyed?: boolean; retentionMs?: string } = {}): TopicSpec => ({
  name,
  partitions: o.partitions ?? 2,
  replicationFactor: 1,
  keyed: o.keyed ?? true,
  config: {
    'cleanup.policy': 'delete',
    'retention.ms': o.retentionMs ?? '3600000',
    'min.insync.replicas': '1',
    'max.message.bytes': '1048588',
  },
});

afterAll(async () => {
  await admin.deleteTopics([name]).catch(() => {});
  await admin.close();
});

describe('topics apply', () => {
  it('creates, then is idempotent, fixes a drifted setting and leaves the topic’s other settings alone', async () => {
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    expect((await applyTopics(admin, [spec()], { log })).map((c) => c.kind)).toEqual(['create']);
    expect(await admin.describeTopics([name])).toEqual([
      { topic: name, partitions: 2, replicationFactor: 1 },
    ]);
    expect(await applyTopics(admin, [spec()])).toEqual([]);
    // A setting someone set by hand that the declaration does not mention survives an apply.
    await admin.setTopicConfigs(name, { 'retention.bytes': '1048576' });
    const planned = await applyTopics(admin, [spec({ retentionMs: '7200000' })], { dryRun: true, log });
    expect(planned).toEqual([
      { kind: 'alter-config', topic: name, key: 'retention.ms', from: '3600000', to: '7200000' },
    ]);
    expect(lines.at(-1)).toBe(`~ ${name}: retention.ms 3600000 → 7200000`);
    await applyTopics(admin, [spec({ retentionMs: '7200000' })]);
    const configs = await admin.topicConfigs(name);
    expect(configs.find((c) => c.name === 'retention.ms')).toMatchObject({
      value: '7200000',
      isTopicOverride: true,
    });
    expect(configs.find((c) => c.name === 'retention.bytes')?.value).toBe('1048576');
    expect(await applyTopics(admin, [spec({ retentionMs: '7200000' })])).toEqual([]);
  });

  it('adds partitions to a keyed topic only when allowed', async () => {
    const wider = spec({ partitions: 3, retentionMs: '7200000' });
    const refused = await applyTopics(admin, [wider]);
    expect(refused).toEqual([{ kind: 'add-partitions', topic: name, from: 2, to: 3, keyed: true }]);
    expect((await admin.describeTopics([name]))[0]?.partitions).toBe(2);
    await applyTopics(admin, [wider], { allowRepartition: true });
    expect((await admin.describeTopics([name]))[0]?.partitions).toBe(3);
    expect(await applyTopics(admin, [spec({ partitions: 2, retentionMs: '7200000' })])).toEqual([
      { kind: 'cannot-remove-partitions', topic: name, from: 3, to: 2 },
    ]);
  });
});
