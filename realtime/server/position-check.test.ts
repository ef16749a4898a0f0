import { describe, expect, it } from 'vitest';
import { checkPosition, type PositionLimits } from './position-check.ts';

const limits: PositionLimits = { resumeWindowMs: 60_000, clockSkewMs: 5_000, maxReplayRecords: 100 };
const now = 1_800_000_000_000;
const p0 = new Map([
  ['events.message', [10n, 20n]],
  ['events.user', [5n]],
]);
const at = (offsets: [string, bigint[]][], issuedAt = now - 1_000) =>
  checkPosition({ issuedAt, offsets: new Map(offsets) }, p0, limits, now);

describe('checkPosition', () => {
  it('gives the gap behind the node and a floor where the token is ahead', () => {
    const v = at([
      ['events.message', [4n, 25n]],
      ['events.user', [5n]],
    ]);
    expect(v).toEqual({
      kind: 'resume',
      ranges: [{ topic: 'events.message', partition: 0, from: 4n, to: 10n }],
      floor: new Map([['events.message', [undefined, 25n].map((x) => x as bigint)]]),
      total: 6n,
    });
  });

  it('resets a token issued in the future beyond the skew, or older than the window', () => {
    const same: [string, bigint[]][] = [...p0].map(([t, l]) => [t, [...l]]);
    expect(at(same, now + 4_000)).toMatchObject({ kind: 'resume' });
    expect(at(same, now + 6_000)).toMatchObject({ kind: 'reset', reason: 'invalid-token' });
    expect(at(same, now - 61_000)).toMatchObject({ kind: 'reset', reason: 'too-old' });
  });

  it('resets a token whose topics or partitions are not the stream’s', () => {
    expect(at([['events.message', [10n, 20n]]])).toMatchObject({ reason: 'channels-changed' });
    expect(
      at([
        ['events.message', [10n, 20n]],
        ['events.user', [5n]],
        ['events.booking', [0n]],
      ]),
    ).toMatchObject({ reason: 'channels-changed', message: expect.stringContaining('events.booking') });
    expect(
      at([
        ['events.message', [10n]],
        ['events.user', [5n]],
      ]),
    ).toMatchObject({ reason: 'partitions-changed' });
  });

  it('resets a gap larger than the replay bound, counted by offsets before anything is read', () => {
    expect(
      at([
        ['events.message', [0n, 0n]],
        ['events.user', [0n]],
      ]),
    ).toMatchObject({ kind: 'resume', total: 35n });
    const tight = checkPosition(
      {
        issuedAt: now,
        offsets: new Map([
          ['events.message', [0n, 0n]],
          ['events.user', [0n]],
        ]),
      },
      p0,
      { ...limits, maxReplayRecords: 34 },
      now,
    );
    expect(tight).toMatchObject({ kind: 'reset', reason: 'gap-too-large' });
  });
});
