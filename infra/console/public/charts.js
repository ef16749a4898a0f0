// Time-series plots with uPlot: one chart object per component, fed new data in place.
import { h } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

const colors = ['#2563eb', '#dc2626', '#16a34a', '#9333ea'];

/**
 * A uPlot line chart. `x` holds seconds since the epoch; `lines` is `[{ label, values }]`
 * with `null` for gaps.
 */
export function Chart({ title, unit, x, lines, testid }) {
  const box = useRef(null);
  const plot = useRef(null);
  const data = [x, ...lines.map((l) => l.values)];
  const shape = lines.map((l) => l.label).join('|');
  useEffect(() => {
    const opts = {
      title,
      width: 440,
      height: 180,
      scales: { x: { time: true } },
      axes: [{}, { label: unit, size: 60 }],
      series: [
        {},
        ...lines.map((l, i) => ({
          label: l.label,
          stroke: colors[i % colors.length],
          width: 1.5,
          spanGaps: false,
        })),
      ],
    };
    plot.current = new uPlot(opts, data, box.current);
    return () => plot.current?.destroy();
  }, [shape, title]);
  useEffect(() => {
    plot.current?.setData(data);
  });
  return h('div', { class: 'chart', ref: box, 'data-testid': testid, 'data-points': String(x.length) });
}
