import { describe, expect, it } from 'vitest';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import { grants, parseChannel, parseChannelList } from './channel-request.ts';

const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

describe('channel requests', () => {
  it('parses, trims and de-duplicates', () => {
    expect(parseChannelList(' hotel:1,booking:42 ,hotel:1', 10).map((c) => c.channel)).toEqual([
      'hotel:1',
      'booking:42',
    ]);
  });

  it('names the malformed entry', () => {
    for (const [raw, needle] of [
      ['hotel:1,tenant:2', 'tenant:2'],
      ['hotel:', 'hotel:'],
      ['hotel:1,', '""'],
      ['hotel:a b', 'hotel:a b'],
      ['', 'missing channels'],
    ] as const) {
      const e = errorOf(() => parseChannelList(raw, 10));
      expect(isOutstreamError(e, ErrorCode.invalidChannels), raw).toBe(true);
      expect((e as Error).message).toContain(needle);
    }
    expect((errorOf(() => parseChannelList('hotel:1,hotel:2', 1)) as Error).message).toContain('too many');
  });

  it('grants exact names, kind wildcards and *', () => {
    const hotel7 = parseChannel('hotel:7')!;
    expect(grants(['hotel:7'], hotel7)).toBe(true);
    expect(grants(['hotel:*'], hotel7)).toBe(true);
    expect(grants(['*'], hotel7)).toBe(true);
    expect(grants(['hotel:70', 'booking:*', 'hotel:7*'], hotel7)).toBe(false);
  });
});
