import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.ts';
import { smtp } from '../components/smtp.ts';
import { createSmtpSinkClient } from './client.ts';
import { parseRecipientRule } from './rules.ts';
import { startSmtpSink } from './server.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'smtp-sink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function send(port: number, to: string, messageId: string) {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    return await transport.sendMail({
      from: 'app@outstream.test',
      to,
      subject: `hi ${to}`,
      text: 'body',
      messageId,
    });
  } finally {
    transport.close();
  }
}

describe('SMTP sink', () => {
  it('keeps what it accepts as .eml and JSON, readable over HTTP, also after a restart', async () => {
    let sink = await startSmtpSink({ smtpPort: 0, httpPort: 0, dir, rules: [] });
    const info = await send(sink.smtpPort, 'ada@example.test', '<m1@outstream.test>');
    expect(info.response).toMatch(/^250 2\.0\.0 kept as /);
    await sink.close();
    sink = await startSmtpSink({ smtpPort: 0, httpPort: 0, dir, rules: [] });
    const client = createSmtpSinkClient(`http://127.0.0.1:${sink.httpPort}`);
    const [mail] = await client.messages({ to: 'ada@example.test' });
    expect(mail).toMatchObject({
      messageId: '<m1@outstream.test>',
      subject: 'hi ada@example.test',
      text: 'body\n',
    });
    expect(mail!.emlFile.startsWith(dir)).toBe(true);
    await sink.close();
  });

  it('refuses recipients by rule: 550 permanently, 451 transiently, flaky ones until their turn', async () => {
    const rules = ['reject:*@no.test', 'defer:*@later.test', 'flaky:*@flaky.test:1'].map(parseRecipientRule);
    const sink = await startSmtpSink({ smtpPort: 0, httpPort: 0, dir, rules });
    const client = createSmtpSinkClient(`http://127.0.0.1:${sink.httpPort}`);
    const failure = (to: string) =>
      send(sink.smtpPort, to, `<${to}>`).then(
        () => undefined,
        (e: { responseCode?: number }) => e.responseCode,
      );
    expect(await failure('x@no.test')).toBe(550);
    expect(await failure('x@later.test')).toBe(451);
    expect(await failure('x@flaky.test')).toBe(451);
    expect(await failure('x@flaky.test')).toBeUndefined(); // accepted on the second try
    expect((await client.refusals()).map((r) => [r.address, r.code])).toEqual([
      ['x@no.test', 550],
      ['x@later.test', 451],
      ['x@flaky.test', 451],
    ]);
    await sink.close();
  });

  it('runs in the local stack at SMTP_URL, with its HTTP API at SMTP_SINK_URL', async () => {
    const config = loadConfig(process.env);
    expect(await smtp.healthy(config)).toBe(true);
    const port = Number(new URL(config.smtp.url).port);
    const to = `stack-${Date.now()}@example.test`;
    await send(port, to, `<${to}>`);
    const mails = await createSmtpSinkClient(config.smtp.sinkUrl).messages({ to });
    expect(mails.map((m) => m.messageId)).toEqual([`<${to}>`]);
  });
});
