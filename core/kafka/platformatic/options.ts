import { findErrorBy } from '@platformatic/kafka';
import { KafkaError } from '../../errors.ts';

/** How the adapter reaches the cluster. */
export interface ConnectionOptions {
  brokers: readonly string[];
  clientId: string;
  /** Retries of a single request inside the client before it reports a failure (default 3). */
  retries?: number;
}

/** Options every platformatic client of the adapter is built with. */
export function baseOptions(o: ConnectionOptions, suffix: string) {
  return {
    clientId: `${o.clientId}-${suffix}`,
    bootstrapBrokers: [...o.brokers],
    retries: o.retries ?? 3,
    retryDelay: 250,
    // A connection attempt to a broker that is down fails fast; callers wait out outages.
    connectTimeout: 3_000,
    timeout: 30_000,
    // The client never creates a topic as a side effect of reading or writing.
    autocreateTopics: false,
  };
}

/** The broker's error name in a client error (`NOT_COORDINATOR`, …), if it carries one. */
export function kafkaCodeOf(e: unknown): string | undefined {
  return findWithApiId(e);
}

function findWithApiId(e: unknown, depth = 0): string | undefined {
  if (!e || typeof e !== 'object' || depth > 5) return undefined;
  const apiId = (e as { apiId?: unknown }).apiId;
  if (typeof apiId === 'string') return apiId;
  for (const inner of (e as { errors?: unknown[] }).errors ?? []) {
    const found = findWithApiId(inner, depth + 1);
    if (found) return found;
  }
  return findWithApiId((e as { cause?: unknown }).cause, depth + 1);
}

/** Whether a client error may go away by itself (the client marks what cannot: `canRetry: false`). */
export function isRetriable(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  return findErrorBy(e, 'canRetry', false) === null;
}

/** Translates a client error into a {@link KafkaError} naming what was being done. */
export function kafkaError(what: string, e: unknown): KafkaError {
  if (e instanceof KafkaError) return e;
  const kafkaCode = kafkaCodeOf(e);
  const detail = e instanceof Error ? e.message : String(e);
  return new KafkaError(`${what}: ${kafkaCode ? `${kafkaCode}: ` : ''}${detail}`, {
    cause: e,
    retriable: isRetriable(e),
    ...(kafkaCode ? { kafkaCode } : {}),
  });
}

/** Runs a client call, translating its failure. */
export async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw kafkaError(what, e);
  }
}
