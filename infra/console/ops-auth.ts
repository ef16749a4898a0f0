import { ForbiddenActionError, UnauthorizedError } from '../../core/errors.ts';
import { type AuthOptions, createAuthenticator } from '../../realtime/server/auth.ts';

/** What an operator token may grant in its `ops` claim (`*`: everything). */
export const opsActions = {
  replay: 'dlq:replay',
  releaseKey: 'dlq:release-key',
  /** Reading the views, when the console is set to require a token for them too. */
  read: 'read',
} as const;
export type OpsAction = (typeof opsActions)[keyof typeof opsActions];

/** The operator an action was authorised for. */
export interface Operator {
  subject: string | undefined;
}

/**
 * Checks operator tokens with the realtime gateway's JWT machinery (the same keys, issuer and
 * audience: `SSE_JWT_*`): a token must verify and list the action, or `*`, in its `ops` claim.
 * Mint one with `npm run -s token -- --sub alice --ops 'dlq:replay,dlq:release-key'`.
 *
 * @throws ConfigError at creation when no key is configured.
 */
export function createOpsAuth(auth: AuthOptions) {
  const authenticator = createAuthenticator({ ...auth, claim: 'ops', requireClaim: false });
  return {
    /**
     * Authorises `action` for the bearer of the `Authorization` header.
     *
     * @throws UnauthorizedError (401) when the token is missing or does not verify.
     * @throws ForbiddenActionError (403) when it verifies but does not grant the action.
     */
    async authorize(authorization: string | undefined, action: OpsAction): Promise<Operator> {
      const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      if (!m)
        throw new UnauthorizedError(
          `${action} needs an operator token: send Authorization: Bearer <token> (npm run -s token -- --sub <you> --ops '${action}')`,
        );
      const grant = await authenticator.authenticate(m[1]);
      if (!grant.patterns.includes(action) && !grant.patterns.includes('*'))
        throw new ForbiddenActionError(
          action,
          grant.patterns.length === 0
            ? 'the token has no "ops" claim'
            : `the token's "ops" claim grants ${grant.patterns.map((p) => p.slice(0, 40)).join(', ')}`,
        );
      return { subject: grant.subject };
    },
  };
}

/** The checker {@link createOpsAuth} returns. */
export type OpsAuth = ReturnType<typeof createOpsAuth>;
