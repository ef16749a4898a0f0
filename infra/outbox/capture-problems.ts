import type { ConnectorStatus, InstanceState } from '../../connect/connect-rest.ts';
import { rootCause, traceSummary } from '../../connect/connect-rest.ts';
import { kafkaRecordLimitBytes, maxEventBytes } from '../../connect/event-limit.ts';
import type { SlotLag } from './slot.ts';

/** When slot lag counts as unhealthy. */
export interface CaptureThresholds {
  /** WAL the slot holds that Connect has not confirmed, in bytes. */
  maxLagBytes: number;
  /** Age of the newest change whose publication Connect committed, in milliseconds. */
  maxLagAgeMs: number;
}

/**
 * Defaults: the heartbeat (every second) keeps the age at 1–2 s and the lag at a few MiB under
 * load, so a minute or 256 MiB means capture has stalled, well before WAL fills a disk.
 */
export const defaultCaptureThresholds: CaptureThresholds = {
  maxLagBytes: 256 * 1024 * 1024,
  maxLagAgeMs: 60_000,
};

/** Something that can't be read: the component did not answer. */
export interface Unreachable {
  unreachable: string;
}

/** What capture health is judged from (see `capture-health.ts`, which reads it). */
export interface CaptureFacts {
  connectUrl: string;
  connector: string;
  status: ConnectorStatus | 'not registered' | Unreachable;
  slotName: string;
  slot: SlotLag | 'missing' | Unreachable;
  /** Commit time (ms) of the newest change whose publication Connect committed; unknown when absent. */
  committedChangeAt?: number;
  /** The database's clock (ms): the commit times come from it. */
  now?: number;
}

/** One thing wrong, and what to do about it. */
export interface CaptureProblem {
  what: string;
  todo: string;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const isUnreachable = (x: unknown): x is Unreachable =>
  typeof x === 'object' && x !== null && 'unreachable' in x;

/**
 * Everything that stops or threatens publication: a connector that is missing, FAILED or not
 * running; a replication slot that is missing, inactive, losing WAL, or lagging beyond the
 * thresholds. Empty when capture is healthy.
 */
export function captureProblems(
  facts: CaptureFacts,
  thresholds = defaultCaptureThresholds,
): CaptureProblem[] {
  return [...connectorProblems(facts), ...slotProblems(facts, thresholds)];
}

function connectorProblems({ status, connector, connectUrl }: CaptureFacts): CaptureProblem[] {
  if (isUnreachable(status)) {
    return [
      {
        what: `Connect does not answer at ${connectUrl} (${status.unreachable}): nothing is published`,
        todo: 'start it (npm run stack:up), or point CONNECT_URL at the Connect cluster',
      },
    ];
  }
  if (status === 'not registered') {
    return [
      {
        what: `connector ${connector} is not registered: nothing is published`,
        todo: 'npm run connector -- apply (or npm run setup)',
      },
    ];
  }
  const instances: [string, InstanceState][] = [
    [`connector ${connector}`, status.connector],
    ...status.tasks.map((t): [string, InstanceState] => [`task ${t.id}`, t]),
  ];
  const out = instances.flatMap(([name, s]) => instanceProblem(name, s, connector));
  if (status.connector.state === 'RUNNING' && status.tasks.length === 0) {
    out.push({
      what: `connector ${connector} has no task: nothing is published`,
      todo: "read Connect's log for why it did not start one, then npm run connector -- apply",
    });
  }
  return out;
}

function instanceProblem(name: string, s: InstanceState, connector: string): CaptureProblem[] {
  if (s.state === 'RUNNING') return [];
  if (s.state === 'FAILED') {
    const cause = traceSummary(s.trace);
    return [{ what: `${name} FAILED: ${rootCause(cause)}`, todo: adviceFor(cause.join('\n')) }];
  }
  if (s.state === 'PAUSED' || s.state === 'STOPPED') {
    return [
      {
        what: `${name} is ${s.state}: nothing is published (the slot keeps every change)`,
        todo: `resume it when intended: curl -X PUT "$CONNECT_URL/connectors/${connector}/resume"`,
      },
    ];
  }
  return [
    {
      what: `${name} is ${s.state}: not publishing yet`,
      todo: "check again in a few seconds; if it stays, read Connect's log",
    },
  ];
}

/** What to do about a failed task, by what failed it. */
export function adviceFor(cause: string): string {
  const restart = 'then npm run connector -- apply restarts it; the slot keeps every change meanwhile';
  if (/max\.request\.size/.test(cause)) {
    return (
      "an outbox row larger than Connect's producer sends (max.request.size) reached Connect, and every " +
      `event after it waits. The outbox guard (migration 007) refuses rows over ${maxEventBytes} bytes: ` +
      'check it is applied and enabled (npm run migrate; trigger outbox_guard on outbox). To publish the ' +
      "row, raise Connect's producer max.request.size and the topic's max.message.bytes above it, then " +
      "npm run connector -- apply; to drop it instead (the event is lost, Connect's log names it): " +
      'npm run connector -- apply --skip-failed-record'
    );
  }
  if (/RecordTooLarge|MESSAGE_TOO_LARGE|max message size/i.test(cause)) {
    return (
      "Kafka refused a record as too large: a topic's max.message.bytes (or the broker's " +
      `message.max.bytes) is below the ${kafkaRecordLimitBytes} bytes the pipeline may send. Restore it ` +
      `(kafka-configs.sh --alter --entity-type topics --entity-name <topic> --delete-config max.message.bytes), ${restart}: nothing is lost`
    );
  }
  if (/replication slot .* is active/i.test(cause)) {
    return `another process holds the replication slot: stop it (pg_stat_replication shows it), ${restart}`;
  }
  if (/PSQLException|Connection refused|connection attempt failed|database system is/i.test(cause)) {
    return `Connect cannot use PostgreSQL: bring the database back, ${restart}`;
  }
  if (/Authori[sz]ation/i.test(cause)) {
    return `Kafka refused Connect's writes: grant its principal write access to the events topics, ${restart}`;
  }
  return `fix the cause (npm run connector -- status prints the trace), ${restart}`;
}

function slotProblems(facts: CaptureFacts, t: CaptureThresholds): CaptureProblem[] {
  const { slot, slotName } = facts;
  const getRunning = 'get the connector task running (see above): nothing is lost meanwhile';
  if (isUnreachable(slot)) {
    return [
      {
        what: `PostgreSQL does not answer (${slot.unreachable}): the slot cannot be checked`,
        todo: 'start it (npm run stack:up), or check DATABASE_URL',
      },
    ];
  }
  if (slot === 'missing') {
    return [
      {
        what: `replication slot ${slotName} does not exist: no change is being kept for Connect`,
        todo: 'the connector creates it when its task starts: npm run connector -- apply',
      },
    ];
  }
  const out: CaptureProblem[] = [];
  if (!slot.active) {
    out.push({
      what: `replication slot ${slotName} is inactive: no task streams from it, and PostgreSQL keeps every change for it`,
      todo: getRunning,
    });
  }
  if (slot.walStatus === 'lost') {
    out.push({
      what: `replication slot ${slotName} lost WAL it needed (wal_status lost): events committed while it lagged cannot be published`,
      todo:
        "drop it (SELECT pg_drop_replication_slot('<slot>')), npm run connector -- apply to recreate it, " +
        'emit the lost events again, and raise max_slot_wal_keep_size',
    });
  } else if (slot.walStatus === 'unreserved') {
    out.push({
      what: `replication slot ${slotName} is past max_slot_wal_keep_size (wal_status unreserved): its WAL is about to be removed`,
      todo: `${getRunning} before the next checkpoint`,
    });
  }
  if (slot.retainedBytes > t.maxLagBytes) {
    out.push({
      what: `replication slot ${slotName} holds ${mib(slot.retainedBytes)} of WAL Connect has not confirmed (limit ${mib(t.maxLagBytes)})`,
      todo: `Connect is stalled or behind: ${slot.active ? "read Connect's log" : getRunning}`,
    });
  }
  if (facts.committedChangeAt !== undefined && facts.now !== undefined) {
    const age = facts.now - facts.committedChangeAt;
    if (age > t.maxLagAgeMs) {
      out.push({
        what: `the newest change Connect committed was written ${seconds(age)} ago (limit ${seconds(t.maxLagAgeMs)}); the heartbeat keeps it near 1 s`,
        todo: slot.active
          ? 'capture is stalled while its task runs: Debezium waits on its heartbeat query (a lock on ' +
            "outbox_heartbeat: see pg_locks), or Connect cannot write to Kafka (read Connect's log); once " +
            'the cause is gone, npm run connector -- restart if it does not move on by itself'
          : getRunning,
      });
    }
  }
  return out;
}
