import { describe, expect, it } from 'vitest';
import { isOutstreamError } from '../../core/errors.ts';
import { boundedCommit, commitTimedOut } from './bounded-commit.ts';

const offsets = [{ topic: 't', partition: 0, offset: 10n }];

describe('boundedCommit', () => {
  it('passes a commit that settles in time through, success or failure', async () => {
    await expect(boundedCommit(async () => {}, 1_000)(offsets)).resolves.toBeUndefined();
    const refused = new Error('NOT_COORDINATOR');
    await expect(
      boundedCommit(async () => {
        throw refused;
      }, 1_000)(offsets),
    ).rejects.toBe(refused);
  });

  it('reports a commit that never settles (a client waiting for its own rejoin) as failed, retriable', async () => {
    const never = boundedCommit(() => new Promise<void>(() => {}), 50);
    const error = await never(offsets).catch((e: unknown) => e);
    expect(isOutstreamError(error, 'KAFKA')).toBe(true);
    expect(error).toMatchObject({ retriable: true, kafkaCode: commitTimedOut });
  });

  it('a late failure of the abandoned commit is swallowed, not an unhandled rejection', async () => {
    let fail!: (e: Error) => void;
    const late = boundedCommit(
      () =>
        new Promise<void>((_, reject) => {
          fail = reject;
        }),
      20,
    );
    await expect(late(offsets)).rejects.toMatchObject({ kafkaCode: commitTimedOut });
    fail(new Error('UNKNOWN_MEMBER_ID, later'));
    await new Promise((r) => setTimeout(r, 20));
  });
});
