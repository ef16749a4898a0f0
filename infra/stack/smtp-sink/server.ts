import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { createMailbox, type ReceivedMail } from './mailbox.ts';
import { createRecipientJudge, type RecipientRule } from './rules.ts';

/** Options of {@link startSmtpSink}. */
export interface SmtpSinkOptions {
  host?: string;
  /** SMTP port (0 picks a free one). */
  smtpPort: number;
  /** Port of the HTTP API that reads what was received (0 picks a free one). */
  httpPort: number;
  /** Where `.eml` and `.json` files go. */
  dir: string;
  rules: readonly RecipientRule[];
  /** Largest message accepted, in bytes (default 10 MiB). */
  maxBytes?: number;
  log?: (line: string) => void;
}

/** A refused `RCPT TO`, kept in memory so tests and people can see what the sink refused. */
export interface Refusal {
  at: string;
  address: string;
  code: number;
  message: string;
}

/** A running sink. */
export interface SmtpSink {
  smtpPort: number;
  httpPort: number;
  close(): Promise<void>;
}

/**
 * A catch-all SMTP server for the local stack, built on `smtp-server` and `mailparser`:
 * accepts every recipient except those its rules refuse, keeps each message as `.eml` and
 * `.json` files, and serves them over HTTP (`GET /messages?to=…`, `/messages/:id`,
 * `/messages/:id/raw`, `/refusals`, `DELETE /messages`, and an HTML list at `/`).
 * No authentication and no TLS: it listens on the loopback interface only.
 */
export async function startSmtpSink(options: SmtpSinkOptions): Promise<SmtpSink> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  const mailbox = createMailbox(options.dir);
  const judge = createRecipientJudge(options.rules);
  const refusals: Refusal[] = [];

  const smtp = new SMTPServer({
    name: 'outstream-smtp-sink',
    banner: 'Outstream local SMTP sink: mail is kept, never delivered',
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    size: options.maxBytes ?? 10 * 1024 * 1024,
    logger: false,
    onRcptTo(address, _session, callback) {
      const verdict = judge(address.address);
      if (verdict.action === 'accept') return callback();
      refusals.push({
        at: new Date().toISOString(),
        address: address.address,
        code: verdict.code,
        message: verdict.message,
      });
      if (refusals.length > 1000) refusals.shift();
      log(`refused ${address.address}: ${verdict.code} ${verdict.message}`);
      const error = Object.assign(new Error(verdict.message), { responseCode: verdict.code });
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (e) => callback(e));
      stream.on('end', () => {
        if ((stream as { sizeExceeded?: boolean }).sizeExceeded) {
          return callback(Object.assign(new Error('5.3.4 message too big'), { responseCode: 552 }));
        }
        const raw = Buffer.concat(chunks);
        const envelope = {
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((a) => a.address),
        };
        simpleParser(raw)
          .then((parsed) => mailbox.store(raw, parsed, envelope))
          .then(
            (mail) => {
              log(`received ${mail.messageId ?? '(no Message-ID)'} for ${envelope.to.join(', ')}`);
              callback(null, `2.0.0 kept as ${mail.id}`);
            },
            (e: unknown) => callback(Object.assign(e as Error, { responseCode: 451 })),
          );
      });
    },
  });
  smtp.on('error', (e) => log(`smtp error: ${e.message}`));

  const app = new Hono();
  app.get('/health', (c) => c.json({ ok: true, messages: mailbox.size }));
  app.get('/messages', (c) => {
    const q = c.req.query();
    const limit = q.limit === undefined ? undefined : Number(q.limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
      return c.json({ error: 'limit must be a positive integer' }, 400);
    }
    return c.json({
      messages: mailbox.list({ to: q.to, messageId: q.messageId, subject: q.subject, limit }),
    });
  });
  app.delete('/messages', (c) => c.json({ deleted: mailbox.clear() }));
  app.get('/messages/:id', (c) => {
    const m = mailbox.get(c.req.param('id'));
    return m ? c.json(m) : c.json({ error: 'no such message' }, 404);
  });
  app.get('/messages/:id/raw', async (c) => {
    const m = mailbox.get(c.req.param('id'));
    if (!m) return c.json({ error: 'no such message' }, 404);
    const { readFile } = await import('node:fs/promises');
    return c.body(await readFile(m.emlFile), 200, { 'content-type': 'message/rfc822' });
  });
  app.get('/refusals', (c) => c.json({ refusals }));
  app.get('/', (c) => c.html(htmlList(mailbox.list({ limit: 200 }).reverse())));

  await new Promise<void>((resolve, reject) => {
    smtp.server.once('error', reject);
    smtp.listen(options.smtpPort, host, () => resolve());
  });
  const http = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.httpPort, hostname: host }, () => resolve(server));
    server.once('error', reject);
  });
  return {
    smtpPort: (smtp.server.address() as AddressInfo).port,
    httpPort: (http.address() as AddressInfo).port,
    async close() {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function htmlList(mails: ReceivedMail[]): string {
  const esc = (s: string) =>
    s.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!);
  const rows = mails
    .map(
      (m) =>
        `<tr><td>${esc(m.receivedAt)}</td><td>${esc(m.envelope.to.join(', '))}</td>` +
        `<td><a href="/messages/${esc(m.id)}">${esc(m.subject)}</a></td>` +
        `<td><a href="/messages/${esc(m.id)}/raw">.eml</a></td></tr>`,
    )
    .join('\n');
  return `<!doctype html><meta charset="utf-8"><title>Outstream SMTP sink</title>
<style>body{font:14px system-ui;margin:2em}td,th{padding:.3em .8em;text-align:left;border-bottom:1px solid #ddd}</style>
<h1>Outstream SMTP sink</h1><p>${mails.length} most recent messages, newest first. JSON: <code>/messages?to=…</code></p>
<table><tr><th>received</th><th>to</th><th>subject</th><th>raw</th></tr>${rows}</table>`;
}
