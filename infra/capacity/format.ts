/** A count for people: rounded, with thousands separators; `unbounded` for an infinite one. */
export const n0 = (x: number): string =>
  Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'unbounded';

/** Cores and other small figures: two decimals. */
export const n2 = (x: number): string => x.toFixed(2);

/** A figure's value with up to four significant digits and thousands separators. */
export const sig = (x: number): string =>
  Number.isFinite(x)
    ? Number(x.toPrecision(4)).toLocaleString('en-US', { maximumFractionDigits: 4 })
    : 'unbounded';
