import { describe, expect, it } from 'vitest';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import { parseRequest, releaseKeyRequest, replayRequest, viewQuery } from './requests.ts';

function issuesOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    expect(isOutstreamError(e, ErrorCode.invalidArgument)).toBe(true);
    return (e as { issues: string[] }).issues;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('console requests', () => {
  it('accepts a replay of a group, with a topic and fromStart', () => {
    expect(
      parseRequest(
        replayRequest,
        { group: 'notifications', topic: 'events.booking.dlq.notifications' },
        'replay',
      ),
    ).toEqual({
      group: 'notifications',
      topic: 'events.booking.dlq.notifications',
    });
  });

  it.each([
    [{}, 'replay: group: group must be a string'],
    [{ group: '' }, 'replay: group: group is empty'],
    [{ group: '../etc/passwd' }, "replay: group: group may hold only letters, digits, '.', '_' and '-'"],
    [{ group: '..' }, "replay: group: group cannot be '.' or '..'"],
    [{ group: 'a'.repeat(250) }, 'replay: group: group is longer than 249 characters'],
    [{ group: 'g', fromStart: 'yes' }, 'replay: fromStart: fromStart must be true or false'],
    [{ group: 'g', topic: 'a b' }, "replay: topic: topic may hold only letters, digits, '.', '_' and '-'"],
    [{ group: ['g'] }, 'replay: group: group must be a string'],
  ])('refuses the replay %j, naming the field', (input, issue) => {
    expect(issuesOf(() => parseRequest(replayRequest, input, 'replay'))).toContain(issue);
  });

  it('refuses unknown fields and bodies that are not objects', () => {
    expect(issuesOf(() => parseRequest(replayRequest, { group: 'g', yes: true }, 'replay'))[0]).toMatch(
      /yes/,
    );
    expect(issuesOf(() => parseRequest(replayRequest, null, 'replay'))).toHaveLength(1);
    expect(issuesOf(() => parseRequest(replayRequest, Symbol.for('not JSON'), 'replay'))).toHaveLength(1);
  });

  it('refuses hostile keys: control characters, huge, empty', () => {
    const base = { group: 'g', topic: 'events.booking' };
    expect(parseRequest(releaseKeyRequest, { ...base, key: 'booking-1 ✓' }, 'release-key').key).toBe(
      'booking-1 ✓',
    );
    expect(
      issuesOf(() => parseRequest(releaseKeyRequest, { ...base, key: 'a\u0000b' }, 'release-key')),
    ).toEqual(['release-key: key: key holds control characters']);
    expect(
      issuesOf(() => parseRequest(releaseKeyRequest, { ...base, key: 'k'.repeat(1025) }, 'release-key')),
    ).toEqual(['release-key: key: key is longer than 1024 characters']);
    expect(issuesOf(() => parseRequest(releaseKeyRequest, { ...base, key: '' }, 'release-key'))).toEqual([
      'release-key: key: key is empty',
    ]);
    expect(issuesOf(() => parseRequest(releaseKeyRequest, { group: 'g', key: 'k' }, 'release-key'))).toEqual([
      'release-key: topic: topic must be a string',
    ]);
  });

  it('reads the views query and refuses a bad one', () => {
    expect(parseRequest(viewQuery, { all: '1', show: '5' }, 'query')).toEqual({ all: '1', show: 5 });
    expect(issuesOf(() => parseRequest(viewQuery, { show: '51' }, 'query'))).toEqual([
      'query: show: show must be a number from 0 to 50',
    ]);
    expect(issuesOf(() => parseRequest(viewQuery, { show: '1e9' }, 'query'))).toHaveLength(1);
    expect(issuesOf(() => parseRequest(viewQuery, { all: 'true' }, 'query'))).toEqual([
      'query: all: all must be 0 or 1',
    ]);
  });
});
