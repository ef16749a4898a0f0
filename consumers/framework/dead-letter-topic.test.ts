import { describe, expect, it } from 'vitest';
import { ConfigSource } from '../../core/kafka.ts';
import { defaultDeadLetterRetentionMs, retentionUpdate } from './dead-letter-topic.ts';

const entry = (configName: string, configValue: string, configSource: number, isSensitive = false) => ({
  configName,
  configValue,
  configSource,
  isSensitive,
});

describe('dead-letter topic retention', () => {
  it('is 30 days by default', () => {
    expect(defaultDeadLetterRetentionMs).toBe(2_592_000_000);
  });

  it('sets the retention of a topic on the broker default, keeping its own other settings', () => {
    const entries = [
      entry('retention.ms', '604800000', ConfigSource.DEFAULT_CONFIG),
      entry('cleanup.policy', 'delete', ConfigSource.DEFAULT_CONFIG),
      entry('max.message.bytes', '2000000', ConfigSource.TOPIC_CONFIG),
      entry('segment.ms', '3600000', ConfigSource.STATIC_BROKER_CONFIG),
    ];
    expect(retentionUpdate(entries, 5_000_000_000)).toEqual([
      { name: 'max.message.bytes', value: '2000000' },
      { name: 'retention.ms', value: '5000000000' },
    ]);
  });

  it('leaves a retention set on the topic alone, shorter or longer', () => {
    expect(
      retentionUpdate([entry('retention.ms', '86400000', ConfigSource.TOPIC_CONFIG)], 1e10),
    ).toBeUndefined();
    expect(retentionUpdate([entry('retention.ms', '-1', ConfigSource.TOPIC_CONFIG)], 1e10)).toBeUndefined();
  });

  it('does not rewrite a topic whose settings it cannot read back (a sensitive one would be lost)', () => {
    const entries = [
      entry('retention.ms', '604800000', ConfigSource.DEFAULT_CONFIG),
      entry('some.secret', null as unknown as string, ConfigSource.TOPIC_CONFIG, true),
    ];
    expect(retentionUpdate(entries, 1e10)).toBeUndefined();
  });
});
