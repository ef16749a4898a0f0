import { ErrorCode, OutstreamError } from '../../core/errors.ts';

/**
 * A rule names a recipient the group cannot reach (no recipient at all, a hotel without
 * known staff, an email recipient without an address). Not retriable: the event goes to the
 * dead-letter topic with this message; replay it once the directory knows the recipient.
 */
export class RecipientMissingError extends OutstreamError {
  readonly eventType: string;
  readonly reasons: readonly string[];
  constructor(eventType: string, reasons: readonly string[]) {
    super(ErrorCode.recipientMissing, `${eventType}: recipient missing: ${reasons.join('; ')}`);
    this.eventType = eventType;
    this.reasons = reasons;
  }
}

/** The SMTP server refused an email permanently (5xx): not retried, the event is dead-lettered. */
export class EmailRejectedError extends OutstreamError {
  readonly recipients: readonly string[];
  constructor(failures: readonly { address: string; reason: string }[]) {
    super(
      ErrorCode.emailRejected,
      `email rejected permanently: ${failures.map((f) => `${f.address}: ${f.reason}`).join('; ')}`,
    );
    this.recipients = failures.map((f) => f.address);
  }
}

/** The SMTP server could not take an email now (4xx, connection trouble): retried. */
export class EmailDeferredError extends OutstreamError {
  readonly recipients: readonly string[];
  constructor(failures: readonly { address: string; reason: string }[], cause?: unknown) {
    super(
      ErrorCode.emailDeferred,
      `email deferred: ${failures.map((f) => `${f.address}: ${f.reason}`).join('; ')}`,
      { retriable: true, cause },
    );
    this.recipients = failures.map((f) => f.address);
  }
}
