import { isPostgresUnavailable } from '../../core/db.ts';
import { Dependency, ErrorCode, isOutstreamError, networkErrorCodes } from '../../core/errors.ts';

/**
 * The dependency an error says is unavailable — `postgres`, `redis`, `smtp`,
 * `schema-registry`, `kafka`, or `host:port` of a system the framework does not know — or
 * undefined when the error is about the event itself (or says nothing either way). The one
 * place the consumer framework tells an outage (waited out without limit, never dead-lettered)
 * from a failure of the event (retried within the policy, then dead-lettered).
 *
 * The error decides, outermost first, through its `cause` chain:
 * - a `DependencyUnavailableError` names its dependency;
 * - any error that says `retriable: false` is about the event: nothing below it is looked at;
 * - a retriable `KafkaError` is the broker; a retriable registry error (5xx, 429) the registry;
 * - a node-postgres error is the database when its SQLSTATE (class 08, 57P01–57P03, 57P05,
 *   53300) or errno code says it cannot serve (see `isPostgresUnavailable`);
 * - ioredis's `MaxRetriesPerRequestError` (a command given up while reconnecting) is Redis;
 * - a Node network error (`ECONNREFUSED`, `ECONNRESET`, …) is whatever is at its address.
 */
export function unavailableDependency(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 8 && typeof e === 'object' && e !== null; depth++) {
    if (isOutstreamError(e, ErrorCode.dependencyUnavailable)) {
      const named = (e as { dependency?: unknown }).dependency;
      return typeof named === 'string' ? named : 'unknown';
    }
    if ((e as { retriable?: unknown }).retriable === false) return undefined;
    if (isOutstreamError(e, ErrorCode.kafka)) return Dependency.kafka;
    if (isOutstreamError(e, ErrorCode.registry)) return Dependency.schemaRegistry;
    if ((e as { name?: unknown }).name === 'MaxRetriesPerRequestError') return Dependency.redis;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && networkErrorCodes.has(code)) return addressOf(e) ?? 'network';
    if (isPostgresUnavailable(e)) return Dependency.postgres;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function addressOf(e: object): string | undefined {
  const { address, port } = e as { address?: unknown; port?: unknown };
  if (typeof address !== 'string') return undefined;
  return typeof port === 'number' ? `${address}:${port}` : address;
}
