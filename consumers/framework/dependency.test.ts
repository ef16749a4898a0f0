import { ReplyError } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isPostgresUnavailable, postgresError } from '../../core/db.ts';
import {
  Dependency,
  DependencyUnavailableError,
  InvalidEventError,
  KafkaError,
  SchemaDecodeError,
} from '../../core/errors.ts';
import { RegistryError } from '../../core/schema-registry.ts';
import { redisError } from '../cache-invalidation/errors.ts';
import { EmailDeferredError, RecipientMissingError } from '../notifications/errors.ts';
import { unavailableDependency } from './dependency.ts';

/** A server error as node-postgres builds it (SQLSTATE in `code`). */
function serverError(code: string, message: string): pg.DatabaseError {
  const e = new pg.DatabaseError(message, 0, 'error');
  e.code = code;
  return e;
}

/** A Node network error, as a refused connection reports it. */
const refused = (port: number) =>
  Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), {
    code: 'ECONNREFUSED',
    address: '127.0.0.1',
    port,
  });

describe('isPostgresUnavailable (core/db.ts)', () => {
  it('is true for the failures of a restart: refused, cut, shutting down, starting up, full', () => {
    expect(isPostgresUnavailable(refused(15432))).toBe(true);
    expect(isPostgresUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isPostgresUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(
      isPostgresUnavailable(serverError('57P01', 'terminating connection due to administrator command')),
    ).toBe(true);
    expect(isPostgresUnavailable(serverError('57P03', 'the database system is starting up'))).toBe(true);
    expect(isPostgresUnavailable(serverError('08006', 'connection failure'))).toBe(true);
    expect(isPostgresUnavailable(serverError('53300', 'sorry, too many clients already'))).toBe(true);
  });

  it('is false for a statement or its data being wrong, and for look-alike texts of other classes', () => {
    expect(isPostgresUnavailable(serverError('23505', 'duplicate key value'))).toBe(false);
    expect(isPostgresUnavailable(serverError('22003', 'numeric field overflow'))).toBe(false);
    expect(isPostgresUnavailable(serverError('40P01', 'deadlock detected'))).toBe(false);
    expect(isPostgresUnavailable(new TypeError('Connection terminated unexpectedly'))).toBe(false);
    expect(isPostgresUnavailable(new Error('something else'))).toBe(false);
    expect(isPostgresUnavailable(null)).toBe(false);
  });

  it('postgresError wraps only an unavailable database', () => {
    const wrapped = postgresError(serverError('57P03', 'the database system is starting up'));
    expect(wrapped).toBeInstanceOf(DependencyUnavailableError);
    expect((wrapped as DependencyUnavailableError).dependency).toBe('postgres');
    expect((wrapped as DependencyUnavailableError).retriable).toBe(true);
    const dup = serverError('23505', 'duplicate key value');
    expect(postgresError(dup)).toBe(dup);
  });
});

describe('unavailableDependency: outage or the event?', () => {
  it('names the dependency of a DependencyUnavailableError, also as the cause of another error', () => {
    const down = new DependencyUnavailableError(Dependency.smtp, 'ECONNECTION');
    expect(unavailableDependency(down)).toBe('smtp');
    expect(unavailableDependency(new Error('wrapped', { cause: down }))).toBe('smtp');
  });

  it('recognises the raw failures of each dependency by code, never by message', () => {
    expect(unavailableDependency(serverError('57P01', 'terminating connection'))).toBe('postgres');
    expect(unavailableDependency(new Error('Connection terminated unexpectedly'))).toBe('postgres');
    expect(unavailableDependency(new KafkaError('fetch failed', { retriable: true }))).toBe('kafka');
    expect(unavailableDependency(new RegistryError('schema 7', 503, 'unavailable'))).toBe('schema-registry');
    expect(unavailableDependency(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }))).toBe(
      'redis',
    );
    expect(unavailableDependency(new TypeError('fetch failed', { cause: refused(8080) }))).toBe(
      '127.0.0.1:8080',
    );
  });

  it('leaves errors about the event to the retry policy and the dead-letter topic', () => {
    expect(unavailableDependency(new SchemaDecodeError('bad bytes'))).toBeUndefined();
    expect(unavailableDependency(new InvalidEventError('booking.created', []))).toBeUndefined();
    expect(unavailableDependency(new RecipientMissingError('booking.created', ['no staff']))).toBeUndefined();
    expect(
      unavailableDependency(new EmailDeferredError([{ address: 'a@busy.test', reason: '451' }])),
    ).toBeUndefined();
    expect(unavailableDependency(new KafkaError('record too large', { retriable: false }))).toBeUndefined();
    expect(unavailableDependency(new RegistryError('schema 7', 404, 'not found'))).toBeUndefined();
    expect(unavailableDependency(serverError('23505', 'duplicate key'))).toBeUndefined();
    expect(unavailableDependency(new Error('handler bug'))).toBeUndefined();
    expect(unavailableDependency('a string')).toBeUndefined();
  });

  it('lets an outer error that says retriable: false decide, whatever its cause', () => {
    const poison = Object.assign(new Error('bad amount', { cause: refused(15432) }), { retriable: false });
    expect(unavailableDependency(poison)).toBeUndefined();
  });

  it('redisError names Redis for a command given up while reconnecting, not for a script error', () => {
    const gaveUp = Object.assign(new Error('Reached the max retries per request limit'), {
      name: 'MaxRetriesPerRequestError',
    });
    expect(unavailableDependency(redisError(gaveUp))).toBe('redis');
    expect(
      unavailableDependency(redisError(new ReplyError('LOADING Redis is loading the dataset in memory'))),
    ).toBe('redis');
    const bug = new ReplyError('ERR user_script:1: bad');
    expect(redisError(bug)).toBe(bug);
  });
});
