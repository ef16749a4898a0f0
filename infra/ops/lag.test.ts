import { describe, expect, it } from 'vitest';
import { formatLag, type LagReport } from './lag.ts';

const report: LagReport = {
  groups: [
    {
      group: 'notifications',
      kind: 'group',
      state: 'Stable',
      members: 1,
      totalLag: 7,
      uncommitted: 1,
      partitions: [
        {
          topic: 'events.booking',
          partition: 0,
          committed: 10n,
          logEnd: 17n,
          lag: 7,
          member: 'outstream@10.0.0.5 (ab12cd34)',
        },
        {
          topic: 'events.booking',
          partition: 1,
          committed: null,
          logEnd: 4n,
          lag: null,
          member: 'outstream@10.0.0.5 (ab12cd34)',
        },
      ],
    },
    {
      group: 'notifications.dlq-replay',
      kind: 'replay-cursor',
      state: 'Empty',
      members: 0,
      totalLag: 2,
      uncommitted: 0,
      partitions: [
        {
          topic: 'events.booking.dlq.notifications',
          partition: 0,
          committed: 1n,
          logEnd: 3n,
          lag: 2,
          member: null,
        },
      ],
    },
    {
      group: 'billing',
      kind: 'group',
      state: 'not started',
      members: 0,
      totalLag: 0,
      uncommitted: 0,
      partitions: [],
    },
  ],
  hidden: { test: 12, 'legacy-reader': 2 },
};

describe('formatLag', () => {
  it('prints a summary per group, then each partition with "-" for what is unknown', () => {
    expect(formatLag(report)).toEqual([
      'GROUP                     STATE        MEMBERS  LAG  PARTITIONS  NOT COMMITTED',
      'notifications             Stable             1    7           2              1',
      'notifications.dlq-replay  Empty              0    2           1              0  replay cursor: its lag is dead letters not replayed yet',
      'billing                   not started        0    0           0              0',
      '',
      'notifications: Stable, 1 member, lag 7',
      '  TOPIC           PARTITION  COMMITTED  LOG-END  LAG  MEMBER',
      '  events.booking          0         10       17    7  outstream@10.0.0.5 (ab12cd34)',
      '  events.booking          1          -        4    -  outstream@10.0.0.5 (ab12cd34)',
      '',
      'notifications.dlq-replay: Empty, 0 members, lag 2',
      '  TOPIC                             PARTITION  COMMITTED  LOG-END  LAG  MEMBER',
      '  events.booking.dlq.notifications          0          1        3    2  -',
      '',
      'billing: not started, 0 members, lag 0',
      '  no committed offsets and no members',
      '',
      'not shown: 12 test, 2 legacy-reader group(s) (--all lists them)',
    ]);
  });

  it('prints only the summary when asked', () => {
    expect(formatLag(report, { details: false })).toHaveLength(6);
  });
});
