const levels: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const colors = {
  reset: '\x1b[0m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  bold: '\x1b[1m',
} as const;
const prefixColors = ['\x1b[36m', '\x1b[35m', '\x1b[32m', '\x1b[34m', '\x1b[33m', '\x1b[96m'];

// Fields every line carries or that the prefix already says: not repeated after the message.
const hidden = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'group']);

/** Options of {@link formatLogLine}. */
export interface FormatOptions {
  /** ANSI colours (when the output is a terminal). */
  color: boolean;
  /** Width the process names are padded to. */
  width: number;
  /** Index of the process, to pick its colour. */
  index: number;
}

function render(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (value && typeof value === 'object' && 'message' in value) {
    const e = value as { type?: string; message: string };
    return JSON.stringify(`${e.type ? `${e.type}: ` : ''}${e.message}`);
  }
  return JSON.stringify(value);
}

/**
 * One output line of a child process, readable: `12:00:01.123 notifications │ INFO  msg key=value`.
 * pino JSON lines are unpacked; any other line (JSON or not) is shown as is.
 */
export function formatLogLine(name: string, line: string, o: FormatOptions): string {
  const c = (code: string, text: string) => (o.color ? `${code}${text}${colors.reset}` : text);
  const prefix = c(prefixColors[o.index % prefixColors.length]!, name.padEnd(o.width));
  const now = new Date();
  const parsed = pinoLine(line);
  if (!parsed) return `${c(colors.dim, clock(now))} ${prefix} │ ${line}`;
  const t = typeof parsed.time === 'number' ? new Date(parsed.time) : now;
  const level = levels[parsed.level] ?? String(parsed.level);
  const levelText = level.padEnd(5);
  const painted =
    level === 'ERROR' || level === 'FATAL'
      ? c(colors.red, levelText)
      : level === 'WARN'
        ? c(colors.yellow, levelText)
        : c(colors.dim, levelText);
  const msg = String(parsed.msg ?? '');
  const extra = Object.entries(parsed)
    .filter(([k, v]) => !hidden.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${render(v)}`)
    .join(' ');
  return `${c(colors.dim, clock(t))} ${prefix} │ ${painted} ${msg}${extra ? ` ${c(colors.dim, extra)}` : ''}`;
}

/** A pino JSON line (an object with a numeric level), or undefined. */
function pinoLine(line: string): (Record<string, unknown> & { level: number }) | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as unknown;
    return parsed !== null &&
      typeof parsed === 'object' &&
      typeof (parsed as { level?: unknown }).level === 'number'
      ? (parsed as Record<string, unknown> & { level: number })
      : undefined;
  } catch {
    return undefined;
  }
}

function clock(d: Date): string {
  return d.toISOString().slice(11, 23);
}
