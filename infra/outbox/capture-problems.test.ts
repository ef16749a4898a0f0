import { describe, expect, it } from 'vitest';
import { type CaptureFacts, captureProblems } from './capture-problems.ts';

const now = 1_800_000_000_000;
const thresholds = { maxLagBytes: 64 * 1024 * 1024, maxLagAgeMs: 30_000 };

function facts(overrides: Partial<CaptureFacts> = {}): CaptureFacts {
  return {
    connectUrl: 'http://connect:8083',
    connector: 'outstream-outbox',
    status: { connector: { state: 'RUNNING' }, tasks: [{ id: 0, state: 'RUNNING' }] },
    slotName: 'outstream_outbox',
    slot: { slot: 'outstream_outbox', active: true, retainedBytes: 4096, walStatus: 'reserved' },
    committedChangeAt: now - 1_500,
    now,
    ...overrides,
  };
}

function failedTask(causedBy: string): CaptureFacts['status'] {
  const trace = [
    'org.apache.kafka.connect.errors.ConnectException: Unrecoverable exception from producer send callback',
    '\tat org.apache.kafka.connect.runtime.WorkerSourceTask.maybeThrowProducerSendException(WorkerSourceTask.java:348)',
    `Caused by: ${causedBy}`,
  ].join('\n');
  return { connector: { state: 'RUNNING' }, tasks: [{ id: 0, state: 'FAILED', trace }] };
}

const whats = (f: CaptureFacts) => captureProblems(f, thresholds).map((p) => p.what);

describe('captureProblems', () => {
  it('finds nothing wrong with a running task, an active slot and a fresh committed position', () => {
    expect(captureProblems(facts(), thresholds)).toEqual([]);
  });

  it('names a FAILED task by its innermost cause, and for a record over max.request.size says how to publish or drop it', () => {
    const problems = captureProblems(
      facts({
        status: failedTask(
          'org.apache.kafka.common.errors.RecordTooLargeException: The message is 2000518 bytes when serialized which is larger than 1048576, which is the value of the max.request.size configuration.',
        ),
      }),
      thresholds,
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]!.what).toMatch(
      /^task 0 FAILED: org\.apache\.kafka\.common\.errors\.RecordTooLargeException: The message is 2000518 bytes/,
    );
    expect(problems[0]!.todo).toMatch(/migration 007/);
    expect(problems[0]!.todo).toMatch(/--skip-failed-record/);
  });

  it('tells a broker-side size refusal apart: restoring the topic limit and restarting loses nothing', () => {
    const [problem] = captureProblems(
      facts({
        status: failedTask(
          'org.apache.kafka.common.errors.RecordTooLargeException: The request included a message larger than the max message size the server will accept.',
        ),
      }),
      thresholds,
    );
    expect(problem!.todo).toMatch(/max\.message\.bytes/);
    expect(problem!.todo).toMatch(/nothing is lost/);
    expect(problem!.todo).not.toMatch(/--skip-failed-record/);
  });

  it('reports a connector that is missing, unreachable, paused or without a task', () => {
    expect(whats(facts({ status: 'not registered' }))).toEqual([
      'connector outstream-outbox is not registered: nothing is published',
    ]);
    expect(captureProblems(facts({ status: { unreachable: 'ECONNREFUSED' } }), thresholds)[0]!.todo).toMatch(
      /CONNECT_URL/,
    );
    expect(
      whats(facts({ status: { connector: { state: 'PAUSED' }, tasks: [{ id: 0, state: 'PAUSED' }] } })),
    ).toEqual([
      'connector outstream-outbox is PAUSED: nothing is published (the slot keeps every change)',
      'task 0 is PAUSED: nothing is published (the slot keeps every change)',
    ]);
    expect(whats(facts({ status: { connector: { state: 'RUNNING' }, tasks: [] } }))).toEqual([
      'connector outstream-outbox has no task: nothing is published',
    ]);
  });

  it('reports a slot that is missing, inactive, unreserved or lost', () => {
    const slot = { slot: 'outstream_outbox', active: true, retainedBytes: 0, walStatus: 'reserved' };
    expect(whats(facts({ slot: 'missing' }))).toEqual([
      'replication slot outstream_outbox does not exist: no change is being kept for Connect',
    ]);
    expect(whats(facts({ slot: { ...slot, active: false } }))[0]).toMatch(/is inactive/);
    expect(whats(facts({ slot: { ...slot, walStatus: 'unreserved' } }))[0]).toMatch(/max_slot_wal_keep_size/);
    expect(whats(facts({ slot: { ...slot, walStatus: 'lost' } }))[0]).toMatch(/cannot be published/);
    expect(whats(facts({ slot: { unreachable: 'ECONNREFUSED' } }))[0]).toMatch(/PostgreSQL does not answer/);
  });

  it('reports WAL held beyond the byte limit, and only beyond it', () => {
    const slot = (retainedBytes: number) => ({
      slot: 'outstream_outbox',
      active: true,
      retainedBytes,
      walStatus: 'reserved',
    });
    expect(whats(facts({ slot: slot(thresholds.maxLagBytes) }))).toEqual([]);
    expect(whats(facts({ slot: slot(thresholds.maxLagBytes + 1) }))).toEqual([
      'replication slot outstream_outbox holds 64.0 MiB of WAL Connect has not confirmed (limit 64.0 MiB)',
    ]);
  });

  it('reports a committed position older than the age limit, and none when the age is unknown', () => {
    expect(whats(facts({ committedChangeAt: now - thresholds.maxLagAgeMs }))).toEqual([]);
    expect(whats(facts({ committedChangeAt: now - 95_000 }))[0]).toMatch(
      /^the newest change Connect committed was written 95\.0 s ago \(limit 30\.0 s\)/,
    );
    expect(whats(facts({ committedChangeAt: undefined }))).toEqual([]);
  });
});
