import { Counter, Histogram, type Registry } from 'prom-client';
import { postgresError } from '../../core/db.ts';
import type { AnyEvent, EventType } from '../../schemas/index.ts';
import type { Handler, Handlers } from '../framework/index.ts';
import { createDelivery, type DeliveryDeps } from './deliver.ts';
import { projectProfileUpdated, projectRegistered } from './directory.ts';
import { type NotificationRule, type NotificationRules, notificationRules } from './rules.ts';

/** The consumer group id. */
export const notificationsGroup = 'notifications';

/** Metrics of the notifications group. */
export function createNotificationMetrics(registry: Registry) {
  const registers = [registry];
  return {
    inbox: new Counter({
      name: 'outstream_notifications_inbox_total',
      help: 'Inbox rows written (each with its notification.created event), by kind.',
      labelNames: ['kind'],
      registers,
    }),
    duplicates: new Counter({
      name: 'outstream_notifications_inbox_duplicates_total',
      help: 'Inbox rows already present for (event, recipient): redeliveries absorbed.',
      labelNames: ['kind'],
      registers,
    }),
    emails: new Counter({
      name: 'outstream_notifications_emails_sent_total',
      help: 'Emails the SMTP server accepted, by kind.',
      labelNames: ['kind'],
      registers,
    }),
    suppressed: new Counter({
      name: 'outstream_notifications_suppressed_total',
      help: 'Deliveries a user preference turned off, by kind and medium.',
      labelNames: ['kind', 'medium'],
      registers,
    }),
    inDoubt: new Counter({
      name: 'outstream_notifications_emails_in_doubt_total',
      help: 'Emails sent again because an earlier attempt was claimed and never recorded (a crash): possibly received twice, with the same Message-ID.',
      registers,
    }),
    markSeconds: new Histogram({
      name: 'outstream_notifications_email_mark_seconds',
      help: "Time from the SMTP server's acceptance of an email to the commit of its `sent` mark: the window in which a crash sends it twice.",
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
      registers,
    }),
  };
}

/** Runs a directory write, naming an unavailable database as such (waited out, not dead-lettered). */
async function directory(write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (e) {
    throw postgresError(e);
  }
}

/**
 * The notifications group's handlers: one per rule, plus the user directory it keeps from
 * user events (`user.registered` both updates the directory and sends the welcome).
 * Event types with neither are skipped by the framework and counted (`reason="no-handler"`).
 */
export function notificationHandlers({
  deps,
  rules = notificationRules,
  metrics,
}: {
  deps: DeliveryDeps;
  rules?: NotificationRules;
  metrics?: ReturnType<typeof createNotificationMetrics>;
}): Handlers {
  const handlers: Record<string, Handler<EventType>> = {};
  const deliver = createDelivery({
    ...deps,
    emailHooks: deps.emailHooks ?? {
      onInDoubt: () => metrics?.inDoubt.inc(),
      onMarked: (seconds) => metrics?.markSeconds.observe(seconds),
    },
  });
  const notify = async (rule: NotificationRule<EventType>, event: AnyEvent, signal?: AbortSignal) => {
    const r = await deliver(rule, event, signal);
    metrics?.inbox.inc({ kind: rule.kind }, r.inbox);
    if (r.inboxDuplicates > 0) metrics?.duplicates.inc({ kind: rule.kind }, r.inboxDuplicates);
    metrics?.emails.inc({ kind: rule.kind }, r.emailsSent);
    if (r.suppressed.inApp > 0)
      metrics?.suppressed.inc({ kind: rule.kind, medium: 'in_app' }, r.suppressed.inApp);
    if (r.suppressed.email > 0)
      metrics?.suppressed.inc({ kind: rule.kind, medium: 'email' }, r.suppressed.email);
  };
  for (const [type, rule] of Object.entries(rules) as [EventType, NotificationRule<EventType>][]) {
    handlers[type] = (event, ctx) => notify(rule, event as AnyEvent, ctx.signal);
  }
  const welcome = rules['user.registered'] as NotificationRule<EventType> | undefined;
  handlers['user.registered'] = async (event, ctx) => {
    const e = event as AnyEvent & { type: 'user.registered' };
    await directory(() => projectRegistered(deps.pool, e.payload, e.sequence));
    if (welcome) await notify(welcome, e, ctx.signal);
  };
  handlers['user.profile_updated'] = async (event) => {
    const e = event as AnyEvent & { type: 'user.profile_updated' };
    await directory(() => projectProfileUpdated(deps.pool, e.payload, e.sequence));
  };
  return handlers as Handlers;
}
