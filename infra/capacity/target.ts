import { z } from 'zod';
import { CapacityInputError, fieldIssues } from './costs.ts';

/** The load a plan is for. */
export interface CapacityTarget {
  /** Events committed through the outbox per second (the groups' own emits included). */
  eventsPerS: number;
  /** Events per transaction: PostgreSQL and the emitters pay per transaction too. */
  eventsPerTransaction: number;
  /** SSE streams open at once. */
  sseClients: number;
  /** Channels each stream subscribes to (memory per stream). */
  channelsPerClient: number;
  /** Streams each event is written to, on average (the soak's shape: 10). */
  deliveriesPerEvent: number;
  /**
   * Multiplies every CPU figure: 1 plans with this machine's costs; ~0.2–0.5 for a machine whose
   * system calls do not trap to the hypervisor (see the README's "Two machines").
   */
  cpuScale: number;
}

/** Defaults of the optional parts of a target. */
export const targetDefaults = {
  eventsPerTransaction: 1,
  channelsPerClient: 3,
  deliveriesPerEvent: 10,
  cpuScale: 1,
} as const satisfies Partial<CapacityTarget>;

const targetSchema = z.strictObject({
  eventsPerS: z.number().positive(),
  eventsPerTransaction: z.number().min(1).default(targetDefaults.eventsPerTransaction),
  sseClients: z.number().int().min(0),
  channelsPerClient: z.number().int().min(1).default(targetDefaults.channelsPerClient),
  deliveriesPerEvent: z.number().min(0).default(targetDefaults.deliveriesPerEvent),
  cpuScale: z.number().positive().default(targetDefaults.cpuScale),
});

/** A target as a caller gives it: the optional parts may be left out. */
export type CapacityTargetInput = Pick<CapacityTarget, 'eventsPerS' | 'sseClients'> & Partial<CapacityTarget>;

/**
 * Checks a target and fills its defaults.
 *
 * @throws CapacityInputError naming each bad field (`target.eventsPerS`).
 */
export function validateTarget(target: unknown): CapacityTarget {
  const parsed = targetSchema.safeParse(target);
  if (!parsed.success) throw new CapacityInputError(fieldIssues('target', parsed.error.issues));
  return parsed.data;
}
