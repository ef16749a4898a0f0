import { parseArgs } from 'node:util';
import { defaultRecipientRules, parseRecipientRule } from './rules.ts';
import { startSmtpSink } from './server.ts';

const usage = `usage: node infra/stack/smtp-sink/main.ts --smtp-port N --http-port N --dir DIR
       [--rule reject:<glob> | defer:<glob> | flaky:<glob>[:<failures>]]… [--no-default-rules]
  Default rules: reject:*@reject.test (550), defer:*@busy.test (451), flaky:*@flaky.test:2`;

// The local stack's SMTP sink (infra/stack/components/smtp.ts starts it detached).
async function main() {
  const { values } = parseArgs({
    options: {
      'smtp-port': { type: 'string' },
      'http-port': { type: 'string' },
      dir: { type: 'string' },
      rule: { type: 'string', multiple: true, default: [] },
      'no-default-rules': { type: 'boolean', default: false },
    },
  });
  const port = (name: 'smtp-port' | 'http-port') => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      throw new Error(`--${name} must be a port number\n${usage}`);
    return n;
  };
  if (!values.dir) throw new Error(`--dir is required\n${usage}`);
  const rules = [
    ...values.rule.map(parseRecipientRule),
    ...(values['no-default-rules'] ? [] : defaultRecipientRules),
  ];
  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  const sink = await startSmtpSink({
    smtpPort: port('smtp-port'),
    httpPort: port('http-port'),
    dir: values.dir,
    rules,
    log,
  });
  log(
    `smtp sink: SMTP 127.0.0.1:${sink.smtpPort}, HTTP http://127.0.0.1:${sink.httpPort}, mail in ${values.dir}, ` +
      `rules ${rules.map((r) => `${r.action}:${r.pattern}`).join(' ')}`,
  );
  const stop = (signal: string) => {
    log(`${signal}: closing`);
    sink.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  console.error((e as Error).message ?? e);
  process.exit(1);
});
