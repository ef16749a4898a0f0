/** One sample of the Prometheus text exposition format. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const labelPair = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

/**
 * Parses Prometheus text (what the groups' `/metrics` serve, prom-client's output) into samples
 * (pure). Comments and blank lines are skipped; a line that is not a sample is skipped too and
 * counted, so that a scrape of something else is seen as such rather than as zeros.
 *
 * Written here because the npm parser of this format (`parse-prometheus-text-format` 1.1.1,
 * unmaintained since 2020) drops a histogram's labels, `_sum` and `_count`.
 *
 * @example
 * parsePromText('outstream_consumer_lag{group="g",partition="0"} 3').samples;
 * // [{ name: 'outstream_consumer_lag', labels: { group: 'g', partition: '0' }, value: 3 }]
 */
export function parsePromText(text: string): { samples: PromSample[]; skipped: number } {
  const samples: PromSample[] = [];
  let skipped = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = sampleLine.exec(line);
    const labels = m ? parseLabels(m[2] ?? '') : undefined;
    const value = m ? parseValue(m[3] ?? '') : undefined;
    if (!m || labels === undefined || value === undefined) {
      skipped++;
      continue;
    }
    samples.push({ name: m[1] ?? '', labels, value });
  }
  return { samples, skipped };
}

function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  labelPair.lastIndex = 0;
  while (labelPair.lastIndex < text.length) {
    const m = labelPair.exec(text);
    if (!m) return text.slice(labelPair.lastIndex).trim() === '' ? labels : undefined;
    labels[m[1] ?? ''] = (m[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const n = Number(text);
  return text !== '' && !Number.isNaN(n) ? n : undefined;
}
