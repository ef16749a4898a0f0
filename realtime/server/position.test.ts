import { describe, expect, it } from 'vitest';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import { decodePosition, encodePosition, maxOffset } from './position.ts';

describe('position tokens', () => {
  it('round-trips offsets (large ones too) with second precision', () => {
    const offsets = new Map([
      ['events.booking', [0n, 5n, 1_000_000n, 2n ** 40n, 7n, 2n ** 60n]],
      ['other-topic', [3n]],
      ['events.room', []],
    ]);
    const issuedAt = 1_780_000_000_123;
    const decoded = decodePosition(encodePosition({ issuedAt, offsets }));
    expect(decoded.issuedAt).toBe(1_780_000_000_000);
    expect(decoded.offsets).toEqual(offsets);
  });

  it('reads tokens issued before offsets became bigint (same bytes)', () => {
    const offsets = new Map([
      ['events.booking', [12n, 0n, 300_000n, 7n]],
      ['events.room', [5n]],
      ['other', []],
    ]);
    const issued = 'AYDK4tAGAw9ib29raW5nBAAMAOCnEgcJcm9vbQEFAApvdGhlcgAA';
    expect(decodePosition(issued)).toEqual({ issuedAt: 1_780_000_000_000, offsets });
    expect(encodePosition({ issuedAt: 1_780_000_000_000, offsets })).toBe(issued);
  });

  it('is compact and URL-safe', () => {
    const busy = Array.from({ length: 12 }, (_, i) => 1_000_000n + BigInt(i * 37));
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
    const good = encodePosition({ issuedAt: Date.now(), offsets: new Map([['events.user', [1n, 2n]]]) });
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

  it('decodes no offset beyond Kafka’s own bound, nor an absurd issue time', () => {
    const at = (offsets: bigint[], issuedAt = Date.now()) =>
      encodePosition({ issuedAt, offsets: new Map([['events.user', offsets]]) });
    expect(decodePosition(at([maxOffset, 0n])).offsets.get('events.user')).toEqual([maxOffset, 0n]);
    for (const bad of [at([maxOffset + 1n]), at([2n ** 64n]), at([1n], 2 ** 41 * 1000)]) {
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
