import { parseCli } from '../../core/cli.ts';
import { isOutstreamError } from '../../core/errors.ts';
import { mintToken } from './auth.ts';
import { devSecret } from './options.ts';

// `npm run -s token -- --sub u1 --channels 'hotel:1,user:u1' [--ttl 3600]`: prints an HS256
// token signed with SSE_JWT_SECRET, or with the development secret when it is unset (the
// gateway accepts that one only when it has no key configured either: development only).
// `--ops 'dlq:replay,dlq:release-key'` (or `'*'`) adds the ops console's operator claim.
const usage =
  "usage: npm run -s token -- --sub <user> (--channels 'hotel:1,user:u1|hotel:*|*' | --ops 'dlq:replay,dlq:release-key|*') [--publish 'user:u2'] [--presence 'hotel:1'] [--ttl seconds] [--issuer I] [--audience A]";

async function main() {
  const { values } = parseCli(
    {
      options: {
        sub: { type: 'string' },
        channels: { type: 'string' },
        ops: { type: 'string' },
        publish: { type: 'string' },
        presence: { type: 'string' },
        ttl: { type: 'string', default: '3600' },
        issuer: { type: 'string' },
        audience: { type: 'string' },
      },
    },
    usage,
  );
  const ttl = Number(values.ttl);
  if (!values.sub || (!values.channels && !values.ops) || !Number.isInteger(ttl)) {
    console.error(usage);
    process.exit(2);
  }
  const secret = process.env.SSE_JWT_SECRET || devSecret;
  const issuer = values.issuer ?? process.env.SSE_JWT_ISSUER;
  const audience = values.audience ?? process.env.SSE_JWT_AUDIENCE;
  const token = await mintToken({
    secret,
    subject: values.sub,
    patterns: list(values.channels),
    ...(values.ops ? { ops: list(values.ops) } : {}),
    ...(values.publish ? { publish: list(values.publish) } : {}),
    ...(values.presence ? { presence: list(values.presence) } : {}),
    ttlSeconds: ttl,
    ...(issuer ? { issuer } : {}),
    ...(audience ? { audience } : {}),
  });
  console.log(token);
}

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
}

main().catch((e: unknown) => {
  console.error(isOutstreamError(e) ? e.message : e);
  process.exit(1);
});
