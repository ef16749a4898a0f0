import { InvalidArgumentError } from '../../core/errors.ts';
import { type CaptureThresholds, defaultCaptureThresholds } from './capture-problems.ts';

/** The flags of the capture health checks (`connector status`, `stack:status`). */
export interface CaptureFlags {
  'max-slot-lag-mib'?: string;
  'max-slot-age-s'?: string;
}

/** The flags' `parseArgs` options, for a command that takes them. */
export const captureFlagOptions = {
  'max-slot-lag-mib': { type: 'string' },
  'max-slot-age-s': { type: 'string' },
} as const;

/** The capture flags' defaults, for usage texts. */
export const captureFlagsUsage =
  `defaults ${defaultCaptureThresholds.maxLagBytes / 1024 / 1024} MiB of unconfirmed WAL, ` +
  `${defaultCaptureThresholds.maxLagAgeMs / 1000} s since the newest committed change`;

/**
 * The thresholds from the flags.
 *
 * @throws InvalidArgumentError naming the flag (a usage error: exit 2).
 */
export function parseCaptureThresholds(flags: CaptureFlags): CaptureThresholds {
  const positive = (flag: keyof CaptureFlags, fallback: number) => {
    const text = flags[flag];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError([`--${flag}: "${text}" is not a positive number`]);
    }
    return n;
  };
  return {
    maxLagBytes:
      positive('max-slot-lag-mib', defaultCaptureThresholds.maxLagBytes / 1024 / 1024) * 1024 * 1024,
    maxLagAgeMs: positive('max-slot-age-s', defaultCaptureThresholds.maxLagAgeMs / 1000) * 1000,
  };
}
