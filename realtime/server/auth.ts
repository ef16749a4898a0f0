import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { ConfigError, UnauthorizedError } from '../../core/errors.ts';

/** Key material and claim checks for realtime tokens. */
export interface AuthOptions {
  /** Shared secret for HS256 tokens. */
  secret?: string;
  /** PEM public keys (SPKI) for RS256 (RSA) and ES256 (P-256) tokens. */
  publicKeys?: readonly string[];
  /** Required `iss`, when set. */
  issuer?: string;
  /** Required `aud`, when set. */
  audience?: string;
  /** Claim holding the channel patterns (default `subscribe`, as Mercure's). */
  claim?: string;
  /**
   * Whether a token without the claim is refused (default true). With false it verifies with
   * no patterns: the caller refuses what it does not grant (the ops console's `ops` claim, 403).
   */
  requireClaim?: boolean;
}

/** What a verified token grants. */
export interface Grant {
  subject: string | undefined;
  /** Channel patterns: exact channels, `<kind>:*` or `*`. */
  patterns: readonly string[];
  /** Patterns of the `publish` claim: channels the holder may publish ephemeral events to. */
  publish: readonly string[];
  /** Patterns of the `presence` claim: channels where the holder is a presence member and sees members. */
  presence: readonly string[];
  /** Expiry (ms since epoch), if the token has one. */
  expiresAt: number | undefined;
}

type Alg = 'HS256' | 'RS256' | 'ES256';

/**
 * Verifies realtime JWTs (jose) against the configured keys: HS256 with the secret, RS256 and
 * ES256 with the public keys (every key of the token's algorithm is tried, so keys can be
 * rotated by listing old and new).
 *
 * @throws ConfigError at creation when no key is configured or a PEM cannot be read.
 */
export function createAuthenticator(options: AuthOptions) {
  const keys: { alg: Alg; key: KeyObject }[] = [];
  if (options.secret) keys.push({ alg: 'HS256', key: createSecretKey(Buffer.from(options.secret, 'utf8')) });
  for (const [i, pem] of (options.publicKeys ?? []).entries()) {
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (e) {
      throw new ConfigError([
        `SSE_JWT_PUBLIC_KEYS: key ${i + 1} is not a PEM public key (${(e as Error).message})`,
      ]);
    }
    const type = key.asymmetricKeyType;
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (type === 'rsa') keys.push({ alg: 'RS256', key });
    else if (type === 'ec' && curve === 'prime256v1') keys.push({ alg: 'ES256', key });
    else
      throw new ConfigError([
        `SSE_JWT_PUBLIC_KEYS: key ${i + 1} is ${type} ${curve ?? ''}; use RSA or EC P-256`,
      ]);
  }
  if (keys.length === 0)
    throw new ConfigError(['no JWT key configured: set SSE_JWT_SECRET or SSE_JWT_PUBLIC_KEYS']);
  const claim = options.claim ?? 'subscribe';
  const algorithms = [...new Set(keys.map((k) => k.alg))];

  return {
    /**
     * Verifies a token and returns its grant.
     *
     * @throws UnauthorizedError when the token is missing, malformed, expired, not yet valid,
     *   signed with another key or algorithm, has the wrong issuer/audience, or lacks the claim.
     */
    async authenticate(token: string | undefined): Promise<Grant> {
      if (!token)
        throw new UnauthorizedError('missing token: send Authorization: Bearer, a cookie or ?token=');
      let header: { alg?: unknown };
      try {
        header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'));
      } catch {
        throw new UnauthorizedError('malformed token');
      }
      // `null`, a number or an array parse as JSON too: a header is an object or the token is malformed.
      if (header === null || typeof header !== 'object' || Array.isArray(header)) {
        throw new UnauthorizedError('malformed token: its header is not a JSON object');
      }
      const candidates = keys.filter((k) => k.alg === header.alg);
      if (candidates.length === 0) {
        // Named only when it is a string: `String()` of a crafted object can throw.
        const named =
          typeof header.alg === 'string' ? header.alg.slice(0, 20) : `of type ${typeof header.alg}`;
        throw new UnauthorizedError(
          `token algorithm ${named} not accepted (accepted: ${algorithms.join(', ')})`,
        );
      }
      let failure: unknown;
      for (const { alg, key } of candidates) {
        try {
          const { payload } = await jwtVerify(token, key, {
            algorithms: [alg],
            // A stream is authorised as long as its token lives: a token without an end is refused.
            requiredClaims: ['exp'],
            ...(options.issuer ? { issuer: options.issuer } : {}),
            ...(options.audience ? { audience: options.audience } : {}),
          });
          const patterns = payload[claim] ?? (options.requireClaim === false ? [] : undefined);
          if (!Array.isArray(patterns) || !patterns.every((p) => typeof p === 'string')) {
            throw new UnauthorizedError(`token has no "${claim}" claim listing channel patterns`);
          }
          // jose checks `sub` only against an expected value: its type is ours to check.
          if (payload.sub !== undefined && typeof payload.sub !== 'string') {
            throw new UnauthorizedError('token claim "sub" invalid: not a string');
          }
          return {
            subject: payload.sub,
            patterns,
            publish: patternsOf(payload.publish, 'publish'),
            presence: patternsOf(payload.presence, 'presence'),
            expiresAt: payload.exp === undefined ? undefined : payload.exp * 1000,
          };
        } catch (e) {
          if (e instanceof UnauthorizedError) throw e;
          failure = e;
          if (!(e instanceof joseErrors.JWSSignatureVerificationFailed)) break;
        }
      }
      throw new UnauthorizedError(reasonOf(failure), { cause: failure });
    },
  };
}

/** An optional claim listing channel patterns: absent is none; anything but strings is refused. */
function patternsOf(value: unknown, claim: string): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((p) => typeof p === 'string')) {
    throw new UnauthorizedError(`token claim "${claim}" invalid: not a list of channel patterns`);
  }
  return value;
}

function reasonOf(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'token expired';
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature does not verify';
  if (e instanceof joseErrors.JWTClaimValidationFailed)
    return `token claim "${e.claim}" invalid: ${e.reason}`;
  if (e instanceof joseErrors.JOSEError) return `invalid token: ${e.message}`;
  return 'invalid token';
}

/** The authenticator {@link createAuthenticator} returns. */
export type Authenticator = ReturnType<typeof createAuthenticator>;

/** Options of {@link mintToken}. */
export interface MintOptions {
  secret: string;
  subject: string;
  patterns: readonly string[];
  /** Operator actions of the ops console (the `ops` claim: `dlq:replay`, `dlq:release-key`, `*`). */
  ops?: readonly string[];
  /** Channel patterns of the `publish` claim (ephemeral events the holder may publish). */
  publish?: readonly string[];
  /** Channel patterns of the `presence` claim. */
  presence?: readonly string[];
  /** Lifetime in seconds (default 3600); negative mints an already expired token (tests). */
  ttlSeconds?: number;
  issuer?: string;
  audience?: string;
  claim?: string;
}

/**
 * Mints an HS256 realtime token (dev tooling and tests; production tokens come from the
 * application's own auth service).
 *
 * @example
 * const token = await mintToken({ secret, subject: 'u1', patterns: ['hotel:1', 'user:u1'] });
 */
export async function mintToken(o: MintOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({
    [o.claim ?? 'subscribe']: [...o.patterns],
    ...(o.ops ? { ops: [...o.ops] } : {}),
    ...(o.publish ? { publish: [...o.publish] } : {}),
    ...(o.presence ? { presence: [...o.presence] } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(o.subject)
    .setIssuedAt(now)
    .setExpirationTime(now + (o.ttlSeconds ?? 3600));
  if (o.issuer) jwt = jwt.setIssuer(o.issuer);
  if (o.audience) jwt = jwt.setAudience(o.audience);
  return jwt.sign(createSecretKey(Buffer.from(o.secret, 'utf8')));
}
