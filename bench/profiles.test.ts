import { describe, expect, it } from 'vitest';
import { ErrorCode, isOutstreamError } from '../core/errors.ts';
import {
  type Figure,
  figureLog,
  formatRatio,
  formatValue,
  parseProfiles,
  parseStackOffset,
  sideBySide,
} from './profiles.ts';

describe('parseProfiles', () => {
  it('takes known profiles in the order given', () => {
    expect(parseProfiles('single,cluster')).toEqual(['single', 'cluster']);
    expect(parseProfiles(' cluster ')).toEqual(['cluster']);
  });

  it('names an unknown or repeated profile', () => {
    expect(() => parseProfiles('single,triple')).toThrow(
      /unknown profile "triple" \(known: single, cluster\)/,
    );
    expect(() => parseProfiles('cluster,cluster')).toThrow(/named twice/);
    let error: unknown;
    try {
      parseProfiles('');
    } catch (e) {
      error = e;
    }
    expect(isOutstreamError(error, ErrorCode.invalidArgument)).toBe(true);
  });
});

describe('parseStackOffset', () => {
  it('takes the offsets the stack accepts', () => {
    expect(parseStackOffset('12000')).toBe(12_000);
    for (const bad of ['0', '500', '12500', '14000', 'x'])
      expect(() => parseStackOffset(bad)).toThrow(/multiple of 1000 from 1000 to 13000/);
  });
});

describe('formatValue and formatRatio', () => {
  it('prints each unit with its decimals', () => {
    expect(formatValue(56.44, 'ms')).toBe('56.4');
    expect(formatValue(374.4, 'ms')).toBe('374');
    expect(formatValue(0.0904, 'core-s/1k')).toBe('0.090');
    expect(formatValue(779.6, 'events/s')).toBe('780');
    expect(formatValue(20.04, 'KB')).toBe('20.0');
    expect(formatValue(Number.NaN, 'ms')).toBe('n/a');
  });

  it('divides the later pass by the earlier, or says there is no ratio', () => {
    expect(formatRatio(3.1, 1)).toBe('3.10×');
    expect(formatRatio(0, 2)).toBe('0.00×');
    expect(formatRatio(0, 0)).toBe('–');
    expect(formatRatio(5, 0)).toBe('–');
    expect(formatRatio(undefined, 1)).toBe('–');
    expect(formatRatio(1, Number.NaN)).toBe('–');
  });
});

describe('sideBySide', () => {
  const single = figureLog();
  single.add('capture floor at 1000/s', 'achieved', 'events/s', 800);
  single.add('capture floor at 1000/s', 'CPU Kafka', 'core-s/1k', 0.09);
  single.add('throughput', 'all three groups', 'events/s', 1600);
  const cluster: Figure[] = [
    { section: 'capture floor at 1000/s', name: 'CPU Kafka', unit: 'core-s/1k', value: 0.3 },
    { section: 'capture floor at 1000/s', name: 'achieved', unit: 'events/s', value: 640 },
    { section: 'capture floor at 1000/s', name: 'lost', unit: 'count', value: 0 },
    { section: 'throughput', name: 'all three groups', unit: 'events/s', value: 1200 },
  ];

  it('puts each figure of the two passes on one row with their ratio, grouped by section', () => {
    expect(
      sideBySide([
        { profile: 'single', figures: single.figures },
        { profile: 'cluster', figures: cluster },
      ]),
    ).toBe(
      [
        'figure              unit       single  cluster  cluster/single',
        'capture floor at 1000/s',
        '  achieved          events/s      800      640           0.80×',
        '  CPU Kafka         core-s/1k   0.090    0.300           3.33×',
        '  lost              count                    0               –',
        'throughput',
        '  all three groups  events/s     1600     1200           0.75×',
      ].join('\n'),
    );
  });

  it('prints one pass without a ratio column', () => {
    expect(sideBySide([{ profile: 'cluster', figures: cluster.slice(0, 1) }])).toBe(
      ['figure       unit       cluster', 'capture floor at 1000/s', '  CPU Kafka  core-s/1k    0.300'].join(
        '\n',
      ),
    );
  });

  it('keeps the last value of a figure recorded twice in one pass', () => {
    const twice: Figure[] = [
      { section: 's', name: 'p99', unit: 'ms', value: 10 },
      { section: 's', name: 'p99', unit: 'ms', value: 20 },
    ];
    expect(sideBySide([{ profile: 'single', figures: twice }])).toContain('20.0');
  });
});
