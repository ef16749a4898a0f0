/** How a column lines up: text to the left, figures to the right. */
export type Align = 'left' | 'right';

/**
 * Renders rows as a plain-text table (pure): columns as wide as their widest cell, two spaces
 * apart, trailing spaces trimmed. The first row is the header.
 *
 * @example
 * formatTable([['TOPIC', 'LAG'], ['events.booking', '12']], ['left', 'right']);
 * // TOPIC           LAG
 * // events.booking   12
 */
export function formatTable(rows: readonly (readonly string[])[], align: readonly Align[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}
