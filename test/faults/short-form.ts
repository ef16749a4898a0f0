import { expect, onTestFinished } from 'vitest';
import { details, type PhaseResult, problems, table } from './report.ts';
import { runFaultSuite, type SuiteOptions } from './suite.ts';

/**
 * Runs a short form of the suite in a test: the details of each phase and the table printed
 * (prefixed `[label]`), every fault expected to meet the target, with an event in each phase.
 */
export async function runShortForm(
  label: string,
  o: Omit<SuiteOptions, 'keep' | 'log' | 'onPhase' | 'onStop'>,
): Promise<PhaseResult[]> {
  const results = await runFaultSuite({
    ...o,
    keep: false,
    // A test that times out leaves the suite running: its private stack must not outlive it.
    onStop: (stop) => onTestFinished(stop, 120_000),
    log: (line) => console.log(`[${label}] ${line}`),
    onPhase: (r) => console.log(details(r)),
  });
  console.log(table(results));
  expect(results.map((r) => ({ fault: r.fault, problems: problems(r) }))).toEqual(
    results.map((r) => ({ fault: r.fault, problems: [] })),
  );
  expect(results.every((r) => r.events > 0)).toBe(true);
  return results;
}
