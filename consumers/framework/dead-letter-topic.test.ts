import { describe, expect, it } from 'vitest';
import { needsRetention } from './dead-letter-topic.ts';
import { defaultDeadLetterRetentionMs } from './options.ts';

const entry = (name: string, value: string, isTopicOverride: boolean) => ({
  name,
  value,
  isTopicOverride,
  isSensitive: false,
});

describe('dead-letter topic retention', () => {
  it('is 30 days by default', () => {
    expect(defaultDeadLetterRetentionMs).toBe(2_592_000_000);
  });

  it('is set on a topic running on the broker default', () => {
    expect(
      needsRetention([
        entry('retention.ms', '604800000', false),
        entry('max.message.bytes', '2000000', true),
      ]),
    ).toBe(true);
    expect(needsRetention([])).toBe(true);
  });

  it('leaves a retention set on the topic alone, shorter or longer', () => {
    expect(needsRetention([entry('retention.ms', '86400000', true)])).toBe(false);
    expect(needsRetention([entry('retention.ms', '-1', true)])).toBe(false);
  });
});
