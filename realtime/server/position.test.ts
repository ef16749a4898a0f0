import { describe, expect, it } from 'vitest';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import { decodePosition, encodePosition } from './position.ts';

describe('position tokens', () => {
  it('round-trips offsets (large ones too) with second precision', () => {
    const offsets = new Map([
      ['events.booking', [0, 5, 1_000_000, 2 ** 40, 7]],
      ['other-topic', [3]],
      ['events.room', []],
    ]);
    const issuedAt = 1_780_000_000_123;
    const decoded = decodePosition(encodePosition({ issuedAt, offsets }));
    expect(decoded.issuedAt).toBe(1_780_000_000_000);
    expect(decoded.offsets).toEqual(offsets);
  });

  it('is compact and URL-safe', () => {
    const busy = Array.from({ length: 12 }, (_, i) => 1_000_000 + i * 37);
    const token = encodePosition({
      issuedAt: Date.now(),
      offsets: new Map([
        ['events.booking', busy],
        ['events.room', busy],
        ['events.user', busy],
      ]),
    });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token.length).toBeLessThan(160);
  });

  it('rejects garbage with a typed error', () => {
    const good = encodePosition({ issuedAt: Date.now(), offsets: new Map([['events.user', [1, 2]]]) });
    for (const bad of ['', 'not a token!', 'AAAA', good.slice(0, -2), `${good}AA`, 'Ag']) {
      let error: unknown;
      try {
        decodePosition(bad);
      } catch (e) {
        error = e;
      }
      expect(isOutstreamError(error, ErrorCode.invalidPosition), bad).toBe(true);
    }
  });
});
