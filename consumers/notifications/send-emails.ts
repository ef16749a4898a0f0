import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { isPostgresUnavailable, postgresError } from '../../core/db.ts';
import { Dependency, DependencyUnavailableError } from '../../core/errors.ts';
import type { AnyEvent } from '../../schemas/index.ts';
import { IdempotencyPendingError } from '../framework/idempotency.ts';
import { EmailDeferredError, EmailRejectedError } from './errors.ts';
import type { Mailer, SendOutcome } from './mailer.ts';
import type { NotificationContent, Recipient } from './rules.ts';

/** What sending an event's pending emails needs. */
export interface EmailSendDeps {
  pool: pg.Pool;
  mailer: Mailer;
  /** Group id, for the "another delivery is sending it" error. */
  group?: string;
  /** Told each email resent whose earlier attempt's outcome was never recorded (a crash). */
  onInDoubt?: (row: { address: string; messageId: string; attempts: number }) => void;
  /** Told the time from the SMTP server's acceptance to the `sent` mark's commit: the window. */
  onMarked?: (seconds: number) => void;
}

/** One event's emails: its recipients and the text rendered for each. */
export interface EmailPlan {
  event: AnyEvent;
  recipients: readonly Recipient[];
  contents: ReadonlyMap<string, NotificationContent>;
}

interface Row {
  recipient_id: string;
  address: string;
  message_id: string;
  status: 'pending' | 'rejected';
  attempts: number;
  last_error: string | null;
}

/**
 * Sends the event's `pending` emails, each with its Message-ID, the idempotency key:
 * 1. **claim** (`attempts + 1`, `last_error` cleared: the row now says "sending"), committed
 *    before the SMTP call, and only if no other delivery claimed it since it was read;
 * 2. **send** over SMTP;
 * 3. **mark** `sent` (or the failure), retried in place while the database is unavailable —
 *    a database restart after the server accepted the email no longer sends it twice.
 * A crash between the server's acceptance and the mark's commit is the window left (measured
 * by `onMarked`): the next delivery finds the row still "sending" (`pending`, attempts > 0,
 * no error recorded), reports it in doubt and sends it again with the same Message-ID.
 *
 * @returns the number of emails the server accepted.
 * @throws DependencyUnavailableError (postgres, smtp) — waited out by the framework;
 *   EmailDeferredError (a mailbox's 4xx); EmailRejectedError (5xx); IdempotencyPendingError
 *   when another delivery of the event holds a claim.
 */
export async function sendPendingEmails(
  deps: EmailSendDeps,
  plan: EmailPlan,
  signal?: AbortSignal,
): Promise<number> {
  const { event, recipients, contents } = plan;
  const rows = await query<Row>(
    deps.pool,
    `SELECT recipient_id, address, message_id, status, attempts, last_error FROM notification_emails
     WHERE source_event_id = $1 AND status IN ('pending', 'rejected') ORDER BY recipient_id`,
    [event.id],
  );
  const byId = new Map(recipients.map((r) => [r.userId, r]));
  const deferred: { address: string; reason: string }[] = [];
  const rejected: { address: string; reason: string }[] = [];
  let unavailable: string | undefined;
  let sent = 0;
  for (const row of rows) {
    if (row.status === 'rejected') {
      rejected.push({ address: row.address, reason: row.last_error ?? 'rejected earlier' });
      continue;
    }
    const content = contents.get(row.recipient_id);
    if (!content) continue; // no longer a recipient of this rule: left pending for an operator
    if (unavailable !== undefined) continue; // the server is down: the rest wait with this one
    if (row.attempts > 0 && row.last_error === null)
      deps.onInDoubt?.({ address: row.address, messageId: row.message_id, attempts: row.attempts });
    const claimed = await query(
      deps.pool,
      `UPDATE notification_emails SET attempts = attempts + 1, last_error = NULL
       WHERE source_event_id = $1 AND recipient_id = $2 AND status = 'pending' AND attempts = $3
       RETURNING attempts`,
      [event.id, row.recipient_id, row.attempts],
    );
    if (claimed.length === 0) throw new IdempotencyPendingError(deps.group ?? 'notifications', event.id);
    const outcome = await deps.mailer.send({
      to: { address: row.address, name: byId.get(row.recipient_id)?.name ?? null },
      subject: content.email?.subject ?? content.title,
      text: content.email?.text ?? `${content.body}\n`,
      messageId: row.message_id,
      headers: { 'X-Outstream-Event-Id': event.id, 'X-Outstream-Event-Type': event.type },
    });
    const acceptedAt = performance.now();
    await markUntilStored(deps.pool, event.id, row.recipient_id, outcome, signal);
    if (outcome.ok) {
      deps.onMarked?.((performance.now() - acceptedAt) / 1000);
      sent++;
    } else if (outcome.unavailable) unavailable = outcome.reason;
    else (outcome.permanent ? rejected : deferred).push({ address: row.address, reason: outcome.reason });
  }
  if (unavailable !== undefined) throw new DependencyUnavailableError(Dependency.smtp, unavailable);
  if (deferred.length > 0) throw new EmailDeferredError(deferred);
  if (rejected.length > 0) throw new EmailRejectedError(rejected);
  return sent;
}

/**
 * Records how a send ended. Once the server has accepted an email this write must not be
 * lost: while the database is unavailable it is retried in place (capped backoff) for as
 * long as the process runs, or until `signal` fires (the consumer gave up on the handler).
 */
async function markUntilStored(
  pool: pg.Pool,
  eventId: string,
  recipientId: string,
  outcome: SendOutcome,
  signal?: AbortSignal,
): Promise<void> {
  const status = outcome.ok ? 'sent' : outcome.permanent ? 'rejected' : 'pending';
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query(
        `UPDATE notification_emails SET status = $3, last_error = $4,
           sent_at = CASE WHEN $3 = 'sent' THEN now() ELSE sent_at END
         WHERE source_event_id = $1 AND recipient_id = $2`,
        [eventId, recipientId, status, outcome.ok ? null : outcome.reason],
      );
      return;
    } catch (e) {
      if (!isPostgresUnavailable(e) || signal?.aborted) throw postgresError(e);
      await sleep(Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)), undefined, { signal }).catch(() => {});
    }
  }
}

async function query<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values: unknown[],
): Promise<R[]> {
  try {
    return (await pool.query<R>(text, values)).rows;
  } catch (e) {
    throw postgresError(e);
  }
}
