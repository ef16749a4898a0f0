import type { CapacityCosts, TxCost } from './costs.ts';
import type { CapacityTarget } from './target.ts';

/** The kinds of reason a count can have. */
export type CandidateKind =
  | 'one'
  | 'availability'
  | 'capture'
  | 'cpu'
  | 'one per database'
  | 'no clients'
  | 'streams'
  | 'fan-out'
  | 'today'
  | 'members'
  | 'replication'
  | 'network'
  | 'disk'
  | 'replicas';

/** One reason a role needs a number of processes (or machines), and the figures it rests on. */
export interface Candidate {
  count: number;
  /** A word for the reason: `cpu`, `capture`, `streams`, `fan-out`, `availability`… */
  kind: CandidateKind;
  reason: string;
  /** Dotted paths into the cost table (`gateway.intakePerKEvents`). */
  figures: readonly string[];
}

/** A count and what sets it: the largest of its candidates (the first of equals). */
export interface Sized {
  count: number;
  binding: Candidate;
  candidates: readonly Candidate[];
}

/** The largest candidate, and all of them. */
export function sized(candidates: Candidate[]): Sized {
  const binding = candidates.reduce((best, c) => (c.count > best.count ? c : best));
  return { count: binding.count, binding, candidates };
}

/** Rounds up, ignoring the last bits of floating-point noise (2.0000000001 is 2). */
export const ceil = (x: number): number => Math.ceil(x - 1e-9);

/** What every sizing step works from: the validated inputs and the figures they share. */
export interface SizingContext {
  c: CapacityCosts;
  t: CapacityTarget;
  /** Thousands of events per second. */
  k: number;
  headroom: number;
  machineCores: number;
  /** The availability candidate: `minPerRole` processes. */
  availability: Candidate;
  /** Core-seconds per 1,000 events of a component at the target's events per transaction and CPU scale. */
  perK: (x: TxCost) => number;
}

/** The context of a validated cost table and target. */
export function sizingContext(c: CapacityCosts, t: CapacityTarget): SizingContext {
  const least = c.machine.minPerRole.value;
  return {
    c,
    t,
    k: t.eventsPerS / 1000,
    headroom: c.machine.headroom.value,
    machineCores: c.machine.cores.value,
    availability: {
      count: least,
      kind: 'availability',
      reason: `${least}, so that one can fail`,
      figures: ['machine.minPerRole'],
    },
    perK: (x) => (x.perKEvents.value + x.perKTransactions.value / t.eventsPerTransaction) * t.cpuScale,
  };
}

/** The figure paths of a {@link TxCost} named `name` in the cost table. */
export const txPaths = (name: string): string[] => [`${name}.perKEvents`, `${name}.perKTransactions`];
