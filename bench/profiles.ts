// The profiles bench:groups and bench:sse compare in one run (`--profiles single,cluster`),
// and the figures of every pass side by side: what replication costs on this machine. Pure:
// the stacks themselves are bench/profile-stacks.ts.
import { InvalidArgumentError } from '../core/errors.ts';
import type { KafkaNodeCount } from '../core/stack-profile.ts';

/**
 * Each profile by name with its KRaft nodes: `single` is one broker (replication 1), `cluster`
 * three (replication 3, `min.insync.replicas` 2: `npm run stack:up -- --brokers 3`).
 */
export const benchProfiles = { single: 1, cluster: 3 } as const satisfies Record<string, KafkaNodeCount>;
/** A profile's name. */
export type BenchProfile = keyof typeof benchProfiles;

/** Parses `--profiles single,cluster`: known names, each once, in the order given. */
export function parseProfiles(text: string): BenchProfile[] {
  const names = text.split(',').map((n) => n.trim());
  const known = Object.keys(benchProfiles);
  const issues = [
    ...names
      .filter((n) => !known.includes(n))
      .map((n) => `--profiles: unknown profile ${JSON.stringify(n)} (known: ${known.join(', ')})`),
    ...(new Set(names).size < names.length ? ['--profiles: a profile is named twice'] : []),
  ];
  if (issues.length > 0) throw new InvalidArgumentError(issues);
  return names as BenchProfile[];
}

/** Parses `--stack-offset N`: a port offset the stack accepts (a multiple of 1000, 1000…13000). */
export function parseStackOffset(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1_000 || n > 13_000 || n % 1_000 !== 0)
    throw new InvalidArgumentError([
      `--stack-offset: a multiple of 1000 from 1000 to 13000, not ${JSON.stringify(text)}`,
    ]);
  return n;
}

/** What a figure counts, which also says how many decimals it is printed with. */
export type Unit = 'ms' | 'events/s' | 'deliveries/s' | 'core-s/1k' | 'core-s/1M' | 'cores' | 'KB' | 'count';

/** One number a pass printed, under the phase (`section`) that measured it. */
export interface Figure {
  section: string;
  name: string;
  unit: Unit;
  /** NaN when the phase could not measure it (nothing arrived). */
  value: number;
}

/**
 * The figures of one pass, recorded where the bench prints them.
 *
 * @example
 * const log = figureLog();
 * log.add('capture floor at 1000/s', 'port reader p99', 'ms', p99);
 */
export function figureLog() {
  const figures: Figure[] = [];
  return {
    figures,
    add(section: string, name: string, unit: Unit, value: number) {
      figures.push({ section, name, unit, value });
    },
  };
}
/** What {@link figureLog} returns. */
export type FigureLog = ReturnType<typeof figureLog>;

/** A figure's value as printed: ms with one decimal below 100, CPU with three. */
export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case 'ms':
      return value.toFixed(Math.abs(value) < 100 ? 1 : 0);
    case 'core-s/1k':
      return value.toFixed(3);
    case 'core-s/1M':
    case 'cores':
      return value.toFixed(2);
    case 'KB':
      return value.toFixed(1);
    case 'events/s':
    case 'deliveries/s':
    case 'count':
      return value.toFixed(0);
  }
}

/**
 * `of / to` as `1.23×`; `–` when either is missing or `to` is 0 (0 lost against 0 lost has no
 * ratio, and neither has a cost where the other pass spent nothing).
 */
export function formatRatio(of: number | undefined, to: number | undefined): string {
  if (of === undefined || to === undefined || !Number.isFinite(of) || !Number.isFinite(to) || to === 0)
    return '–';
  return `${(of / to).toFixed(2)}×`;
}

/** The figures one pass recorded, under the profile it ran on. */
export interface Pass {
  profile: string;
  figures: readonly Figure[];
}

/**
 * Every figure of every pass side by side, grouped by section in the order first recorded:
 * `figure | unit | <profile>… | <last>/<first>`. A figure only one pass recorded is blank in
 * the others; one recorded twice in a pass keeps its last value.
 *
 * @example
 * sideBySide([{ profile: 'single', figures }, { profile: 'cluster', figures: clusterFigures }])
 */
export function sideBySide(passes: readonly Pass[]): string {
  const sections = new Map<string, Map<string, { unit: Unit; values: (number | undefined)[] }>>();
  passes.forEach((pass, i) => {
    for (const f of pass.figures) {
      const rows = sections.get(f.section) ?? new Map();
      sections.set(f.section, rows);
      const row = rows.get(f.name) ?? { unit: f.unit, values: passes.map(() => undefined) };
      rows.set(f.name, row);
      row.values[i] = f.value;
    }
  });
  const withRatio = passes.length >= 2;
  const ratioHeader = withRatio ? `${passes.at(-1)!.profile}/${passes[0]!.profile}` : '';
  const lines: string[][] = [];
  const sectionAt = new Set<number>();
  for (const [section, rows] of sections) {
    sectionAt.add(lines.length);
    lines.push([section]);
    for (const [name, row] of rows) {
      const cells = row.values.map((v) => (v === undefined ? '' : formatValue(v, row.unit)));
      const ratio = withRatio ? [formatRatio(row.values.at(-1), row.values[0])] : [];
      lines.push([`  ${name}`, row.unit, ...cells, ...ratio]);
    }
  }
  const header = ['figure', 'unit', ...passes.map((p) => p.profile), ...(withRatio ? [ratioHeader] : [])];
  const widths = header.map((h, c) =>
    Math.max(h.length, ...lines.filter((_, i) => !sectionAt.has(i)).map((l) => l[c]!.length)),
  );
  // Names and units to the left, numbers to the right.
  const row = (cells: string[]) =>
    cells
      .map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [row(header), ...lines.map((l, i) => (sectionAt.has(i) ? l[0]! : row(l)))].join('\n');
}
