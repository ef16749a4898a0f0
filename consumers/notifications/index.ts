/**
 * Notifications: typed rules and templates per event type, the in-app inbox with
 * `notification.created` through the outbox, email over SMTP, per-user preferences, and the
 * consumer group. See consumers/notifications/README.md.
 */

export { notifications } from './definition.ts';
export type { Deliver, DeliveryDeps, DeliveryReport } from './deliver.ts';
export { createDelivery } from './deliver.ts';
export type { DirectoryUser } from './directory.ts';
export { EmailDeferredError, EmailRejectedError, RecipientMissingError } from './errors.ts';
export { createNotificationMetrics, notificationHandlers, notificationsGroup } from './group.ts';
export type { InboxItem } from './inbox.ts';
export { listInbox, markRead } from './inbox.ts';
export type { Email, Mailer, MailerOptions, SendOutcome } from './mailer.ts';
export { classifySmtpError, createMailer, messageIdFor } from './mailer.ts';
export { setPreference } from './preferences.ts';
export type {
  Medium,
  NotificationContent,
  NotificationRule,
  NotificationRules,
  Recipient,
  RecipientSpec,
} from './rules.ts';
export { notificationRules } from './rules.ts';
