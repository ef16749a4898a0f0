import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { postgresError } from '../../core/db.ts';
import type { AnyEmitInput, Emitter } from '../../producers/index.ts';
import type { AnyEvent, EventType, NotificationKind } from '../../schemas/index.ts';
import { createGroupCommit } from '../runtime/group-commit.ts';
import { RecipientMissingError } from './errors.ts';
import { type Mailer, messageIdFor } from './mailer.ts';
import { resolveRecipients } from './recipients.ts';
import type { NotificationContent, NotificationRule, Recipient, RecipientSpec } from './rules.ts';
import { type EmailSendDeps, sendPendingEmails } from './send-emails.ts';

/** What {@link createDelivery} needs. */
export interface DeliveryDeps {
  pool: pg.Pool;
  emitter: Pick<Emitter, 'emitMany'>;
  mailer: Mailer;
  /** Domain of the Message-IDs (e.g. `notifications.outstream.test`). */
  messageIdDomain: string;
  /** Told of emails resent in doubt and of each send's acceptance-to-mark time (metrics). */
  emailHooks?: Pick<EmailSendDeps, 'onInDoubt' | 'onMarked'>;
}

/** What one delivery did (for metrics and logs). */
export interface DeliveryReport {
  inbox: number;
  inboxDuplicates: number;
  emailsSent: number;
  suppressed: { inApp: number; email: number };
}

/** One event's notifications, waiting for its transaction (which resolves and renders them). */
interface Plan {
  rule: NotificationRule<EventType>;
  kind: NotificationKind;
  event: AnyEvent;
  specs: RecipientSpec[];
  recipients: Recipient[];
  missing: string[];
  contents: Map<string, NotificationContent>;
  report: DeliveryReport;
  /** Recipients whose email was queued (or may be pending from an earlier delivery). */
  emailWanted: boolean;
}

/**
 * Delivers the notifications of events:
 * 1. in ONE transaction (shared by the events being handled at the same time — group commit —
 *    and retried one by one if it fails): resolve each rule's recipients against the
 *    directory and render the text for each (two queries for the whole batch), then the inbox rows (unique per event and recipient: a
 *    redelivery inserts nothing), a `notification.created` event through the outbox for
 *    each row actually inserted, and a `pending` row per email to send;
 * 2. after the commit, send each pending email with a Message-ID derived from the event id
 *    and the recipient: claimed ("sending") before the SMTP call, marked `sent` (or
 *    `rejected`) after it, the mark retried while the database is down (`sendPendingEmails`).
 * A crash between an SMTP server's 250 and that mark is the one way an email goes twice; the
 * repeat has the same Message-ID and is reported in doubt. A database or SMTP server that is
 * unavailable throws a `DependencyUnavailableError`: waited out, never dead-lettered.
 */
export function createDelivery(deps: DeliveryDeps) {
  const commit = createGroupCommit<Plan>({ maxBatch: 500, flush: (plans) => writeBatch(deps, plans) });

  /**
   * @throws RecipientMissingError (not retriable) after delivering to the recipients it could resolve.
   * @throws EmailDeferredError (retriable) for a mailbox's 4xx replies.
   * @throws EmailRejectedError (not retriable) for 5xx replies.
   * @throws DependencyUnavailableError when PostgreSQL or the SMTP server is unavailable.
   */
  return async function deliver<K extends EventType>(
    rule: NotificationRule<K>,
    event: AnyEvent & { type: K },
    signal?: AbortSignal,
  ): Promise<DeliveryReport> {
    const generic = rule as unknown as NotificationRule<EventType>;
    const plan: Plan = {
      rule: generic,
      kind: rule.kind,
      event,
      specs: generic.recipients(event.payload as never, event as never),
      recipients: [],
      missing: [],
      contents: new Map(),
      report: emptyReport(),
      emailWanted: false,
    };
    await commit.add(plan);
    if (plan.recipients.length === 0) throw new RecipientMissingError(event.type, plan.missing);
    if (plan.emailWanted)
      plan.report.emailsSent = await sendPendingEmails({ ...deps, ...deps.emailHooks }, plan, signal);
    if (plan.missing.length > 0) throw new RecipientMissingError(event.type, plan.missing);
    return plan.report;
  };
}

/** The delivery function {@link createDelivery} returns. */
export type Deliver = ReturnType<typeof createDelivery>;

async function writeBatch(deps: DeliveryDeps, plans: Plan[]): Promise<void> {
  let client: pg.PoolClient;
  try {
    client = await deps.pool.connect();
  } catch (e) {
    throw postgresError(e);
  }
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const resolutions = await resolveRecipients(
      client,
      plans.map((p) => p.specs),
    );
    plans.forEach((p, i) => {
      p.recipients = resolutions[i]!.recipients;
      p.missing = resolutions[i]!.missing;
      p.contents = new Map(p.recipients.map((r) => [r.userId, p.rule.render(p.event.payload as never, r)]));
    });
    const choice = await preferences(client, plans);
    const inbox: { id: string; plan: Plan; r: Recipient; content: NotificationContent }[] = [];
    const emails: { plan: Plan; r: Recipient }[] = [];
    for (const plan of plans) {
      for (const r of plan.recipients) {
        const pref = choice(r.userId, plan.kind);
        if (r.media.includes('in_app')) {
          if (pref.in_app) inbox.push({ id: uuidv7(), plan, r, content: plan.contents.get(r.userId)! });
          else plan.report.suppressed.inApp++;
        }
        if (r.media.includes('email') && r.email !== null) {
          if (pref.email) {
            emails.push({ plan, r });
            plan.emailWanted = true;
          } else plan.report.suppressed.email++;
        }
      }
    }
    // Unique-key order: concurrent writers (other processes of the group) lock in one order.
    inbox.sort((a, b) => cmp(a.plan.event.id, b.plan.event.id) || cmp(a.r.userId, b.r.userId));
    const inserted = new Map<string, Date>();
    if (inbox.length > 0) {
      const { rows } = await client.query<{ id: string; created_at: Date }>(
        `INSERT INTO notifications (id, recipient_id, kind, title, body, source_event_id, source_event_type)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[])
         ON CONFLICT (source_event_id, recipient_id) DO NOTHING RETURNING id, created_at`,
        [
          inbox.map((x) => x.id),
          inbox.map((x) => x.r.userId),
          inbox.map((x) => x.plan.kind),
          inbox.map((x) => x.content.title),
          inbox.map((x) => x.content.body),
          inbox.map((x) => x.plan.event.id),
          inbox.map((x) => x.plan.event.type),
        ],
      );
      for (const row of rows) inserted.set(row.id, row.created_at);
    }
    const created: AnyEmitInput[] = [];
    for (const x of inbox) {
      const at = inserted.get(x.id);
      if (at === undefined) {
        x.plan.report.inboxDuplicates++;
        continue;
      }
      x.plan.report.inbox++;
      const trace = x.plan.event.trace;
      created.push({
        type: 'notification.created',
        aggregateId: x.r.userId,
        payload: {
          notificationId: x.id,
          recipientId: x.r.userId,
          kind: x.plan.kind,
          title: x.content.title,
          body: x.content.body,
          sourceEventId: x.plan.event.id,
          createdAt: at,
        },
        actor: 'system:notifications',
        ...(trace
          ? {
              trace: {
                traceparent: trace.traceparent,
                ...(trace.tracestate ? { tracestate: trace.tracestate } : {}),
              },
            }
          : {}),
      });
    }
    if (created.length > 0) await deps.emitter.emitMany(client, created);
    if (emails.length > 0) {
      await client.query(
        `INSERT INTO notification_emails (source_event_id, recipient_id, address, message_id, kind)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
         ON CONFLICT (source_event_id, recipient_id) DO NOTHING`,
        [
          emails.map((x) => x.plan.event.id),
          emails.map((x) => x.r.userId),
          emails.map((x) => x.r.email),
          emails.map((x) => messageIdFor(x.plan.event.id, x.r.userId, deps.messageIdDomain)),
          emails.map((x) => x.plan.kind),
        ],
      );
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    // A retried batch starts its counts afresh.
    for (const p of plans) {
      p.report = emptyReport();
      p.emailWanted = false;
    }
    const outage = postgresError(e);
    // A connection lost with the server must not go back to the pool.
    if (outage !== e) broken = outage as Error;
    throw outage;
  } finally {
    client.release(broken);
  }
}

const emptyReport = (): DeliveryReport => ({
  inbox: 0,
  inboxDuplicates: 0,
  emailsSent: 0,
  suppressed: { inApp: 0, email: 0 },
});

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Every plan's users' choices in one query: a row for the kind wins over '*'; no row = enabled. */
async function preferences(db: pg.PoolClient, plans: readonly Plan[]) {
  const users = [...new Set(plans.flatMap((p) => p.recipients.map((r) => r.userId)))];
  const { rows } = await db.query<{
    user_id: string;
    kind: string;
    medium: 'in_app' | 'email';
    enabled: boolean;
  }>(`SELECT user_id, kind, medium, enabled FROM notification_preferences WHERE user_id = ANY($1::text[])`, [
    users,
  ]);
  const set = new Map(rows.map((r) => [`${r.user_id}\u0000${r.kind}\u0000${r.medium}`, r.enabled]));
  return (userId: string, kind: NotificationKind) => {
    const get = (medium: string) =>
      set.get(`${userId}\u0000${kind}\u0000${medium}`) ?? set.get(`${userId}\u0000*\u0000${medium}`) ?? true;
    return { in_app: get('in_app'), email: get('email') };
  };
}
