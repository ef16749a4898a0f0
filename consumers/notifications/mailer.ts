import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';

/** One email to send. */
export interface Email {
  to: { address: string; name?: string | null };
  subject: string;
  text: string;
  /** Stable across retries and redeliveries: a duplicate is recognisable by it. */
  messageId: string;
  headers?: Record<string, string>;
}

/** How a send ended. */
export type SendOutcome =
  | { ok: true; response: string }
  | {
      ok: false;
      /** A 5xx reply: the server will say the same again. */
      permanent: boolean;
      /** The server cannot be reached or serves nobody now (connection failed, 421): an outage. */
      unavailable: boolean;
      reason: string;
      error: unknown;
    };

/**
 * The Message-ID of the email about `eventId` to `recipientId`: the same for every attempt
 * and every redelivery, so a duplicate (the one window exactly-once cannot close) is
 * detectable by any mail system or reader.
 *
 * @example
 * messageIdFor('0193…', 'user-1', 'outstream.test'); // '<0193….user-1@outstream.test>'
 */
export function messageIdFor(eventId: string, recipientId: string, domain: string): string {
  const local = /^[A-Za-z0-9._-]{1,64}$/.test(recipientId)
    ? recipientId
    : createHash('sha256').update(recipientId).digest('hex').slice(0, 32);
  return `<${eventId}.${local}@${domain}>`;
}

// nodemailer's codes for a server it cannot talk to (refused, reset, timed out, not resolved).
const unreachableCodes = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS']);

/**
 * Classifies an SMTP failure, by the reply code and nodemailer's error code: a 5xx reply is
 * permanent (the server will say the same again); a server that cannot be reached or answers
 * 421 ("service not available, closing channel") is **unavailable** — an outage, waited out
 * without limit; other 4xx replies (a mailbox deferring, greylisting) are transient for this
 * email only, retried within the group's retry policy.
 */
export function classifySmtpError(error: unknown): {
  permanent: boolean;
  unavailable: boolean;
  reason: string;
} {
  const e = error as { responseCode?: unknown; response?: unknown; code?: unknown; message?: unknown };
  const code = typeof e?.responseCode === 'number' ? e.responseCode : undefined;
  const reason =
    typeof e?.response === 'string'
      ? e.response
      : `${typeof e?.code === 'string' ? `${e.code}: ` : ''}${String(e?.message ?? error)}`;
  const unreachable = code === undefined && typeof e?.code === 'string' && unreachableCodes.has(e.code);
  return {
    permanent: code !== undefined && code >= 500 && code < 600,
    unavailable: unreachable || code === 421,
    reason,
  };
}

/** Options of {@link createMailer}. */
export interface MailerOptions {
  /** `smtp://user:pass@host:port` or `smtps://…` (config.smtp.url). */
  url: string;
  /** The From address, e.g. `Outstream Hotels <no-reply@outstream.test>`. */
  from: string;
  /** Simultaneous SMTP connections (default 3). */
  maxConnections?: number;
  /** Told of a failure of the transport outside any send (nodemailer re-emits it as `'error'`). */
  onError?: (error: Error) => void;
}

/**
 * Sends email over SMTP with nodemailer's pooled transport (connections are reused: a new
 * connection per email costs ~100 ms). Never throws: the outcome says what happened.
 */
export function createMailer({ url, from, maxConnections = 3, onError }: MailerOptions) {
  const transport = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  } as never);
  // An 'error' event nobody listens to ends the process: a mail server going away must not.
  transport.on('error', (e: Error) => onError?.(e));
  return {
    async send(email: Email): Promise<SendOutcome> {
      try {
        const info = await transport.sendMail({
          from,
          to: email.to.name ? { name: email.to.name, address: email.to.address } : email.to.address,
          subject: email.subject,
          text: email.text,
          messageId: email.messageId,
          headers: email.headers,
        });
        return { ok: true, response: String(info.response ?? '') };
      } catch (error) {
        return { ok: false, ...classifySmtpError(error), error };
      }
    },
    close(): void {
      transport.close();
    },
  };
}

/** The mailer {@link createMailer} returns. */
export type Mailer = ReturnType<typeof createMailer>;
