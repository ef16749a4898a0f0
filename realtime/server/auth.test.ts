import { createSecretKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import { createAuthenticator, mintToken } from './auth.ts';

const secret = 'test-secret-of-enough-length-for-hs256';
const auth = createAuthenticator({ secret });
const refusal = (token: string) =>
  auth.authenticate(token).then(
    () => undefined,
    (e: unknown) => e as Error,
  );

describe('realtime token authentication', () => {
  it('grants the channel patterns of a valid token, with its expiry', async () => {
    const grant = await auth.authenticate(await mintToken({ secret, subject: 'u1', patterns: ['hotel:1'] }));
    expect(grant).toMatchObject({ subject: 'u1', patterns: ['hotel:1'] });
    expect(grant.expiresAt).toBeGreaterThan(Date.now());
  });

  it('refuses hostile headers (null, a number, an array) as malformed, never as a crash', async () => {
    for (const header of ['null', '42', '[]']) {
      const token = `${Buffer.from(header).toString('base64url')}.${Buffer.from('{}').toString('base64url')}.sig`;
      const error = await refusal(token);
      expect(isOutstreamError(error, ErrorCode.unauthorized)).toBe(true);
      expect(error?.message).toMatch(/malformed/);
    }
  });

  it('refuses a token without an expiry: a stream may not be authorised forever', async () => {
    const endless = await new SignJWT({ subscribe: ['*'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .sign(createSecretKey(Buffer.from(secret, 'utf8')));
    const error = await refusal(endless);
    expect(isOutstreamError(error, ErrorCode.unauthorized)).toBe(true);
    expect(error?.message).toMatch(/"exp"/);
  });
});
