import { describe, expect, it } from 'vitest';
import { isOutstreamError } from '../../core/errors.ts';
import { parseCaptureThresholds } from './capture-flags.ts';
import { defaultCaptureThresholds } from './capture-problems.ts';

describe('parseCaptureThresholds', () => {
  it('takes the defaults without flags, and MiB and seconds from them', () => {
    expect(parseCaptureThresholds({})).toEqual(defaultCaptureThresholds);
    expect(parseCaptureThresholds({ 'max-slot-lag-mib': '1.5', 'max-slot-age-s': '5' })).toEqual({
      maxLagBytes: 1.5 * 1024 * 1024,
      maxLagAgeMs: 5_000,
    });
  });

  it('refuses what is not a positive number as a usage error naming the flag', () => {
    for (const bad of ['0', '-3', 'soon', '']) {
      const error = (() => {
        try {
          parseCaptureThresholds({ 'max-slot-lag-mib': bad });
        } catch (e) {
          return e;
        }
      })();
      expect(isOutstreamError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toMatch(/--max-slot-lag-mib: ".*" is not a positive number/);
    }
  });
});
