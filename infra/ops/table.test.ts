import { describe, expect, it } from 'vitest';
import { formatTable } from './table.ts';

describe('formatTable', () => {
  it('pads columns to their widest cell, figures to the right, without trailing spaces', () => {
    expect(
      formatTable(
        [
          ['TOPIC', 'LAG', 'MEMBER'],
          ['events.booking', '12', ''],
          ['events.room', '3', 'a@host'],
        ],
        ['left', 'right', 'left'],
      ),
    ).toEqual(['TOPIC           LAG  MEMBER', 'events.booking   12', 'events.room       3  a@host']);
  });
});
