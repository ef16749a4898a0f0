import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, InvalidArgumentError } from './errors.ts';

/**
 * How many KRaft nodes the local stack runs: one combined broker+controller (the default),
 * or a three-node cluster (`npm run stack:up -- --brokers 3`) whose topics are replicated
 * three times with `min.insync.replicas` 2. Three, not two: a KRaft quorum needs a majority,
 * and two of three survive the loss of one.
 */
export const kafkaNodeCounts = [1, 3] as const;
export type KafkaNodeCount = (typeof kafkaNodeCounts)[number];

/** What a local stack was created as, kept in `<stack dir>/profile.json`. */
export interface StackProfile {
  kafkaNodes: KafkaNodeCount;
}

const profileSchema = z.object({
  kafkaNodes: z.union([z.literal(1), z.literal(3)]),
});

const profileFile = (stackDir: string) => path.join(stackDir, 'profile.json');

/** The profile a stack directory was created with; a single node when none was recorded. */
export function readStackProfile(stackDir: string): StackProfile {
  const file = profileFile(stackDir);
  if (!existsSync(file)) return { kafkaNodes: 1 };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError([`${file}: not JSON (${(e as Error).message})`]);
  }
  const parsed = profileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${file}: ${i.path.join('.')}: ${i.message}`));
  }
  return parsed.data;
}

/** Records the profile of a stack directory (what `stack:up --brokers N` chose). */
export function writeStackProfile(stackDir: string, profile: StackProfile): void {
  mkdirSync(stackDir, { recursive: true });
  writeFileSync(profileFile(stackDir), `${JSON.stringify(profile, null, 2)}\n`);
}

/** Parses `--brokers N`: one of {@link kafkaNodeCounts}. */
export function parseKafkaNodeCount(value: string): KafkaNodeCount {
  const n = Number(value);
  const count = kafkaNodeCounts.find((c) => c === n);
  if (count === undefined) {
    throw new InvalidArgumentError([
      `--brokers must be ${kafkaNodeCounts.join(' or ')} (a KRaft quorum of one or three), not ${JSON.stringify(value)}`,
    ]);
  }
  return count;
}

/** How many copies of each partition the declared topics keep, and how many must be in sync. */
export interface Replication {
  factor: number;
  /** `min.insync.replicas`: an acks=all write fails rather than land on fewer copies. */
  minInsync: number;
}

/**
 * Replication with `factor` copies: with three or more, two must be in sync (a write survives
 * the loss of one broker, and a broker lost does not stop writes); with fewer, one.
 */
export function replicationOf(factor: number): Replication {
  return { factor, minInsync: factor >= 3 ? 2 : 1 };
}
