/**
 * Outstream's error hierarchy. Every error carries a string-literal `code` and a
 * `retriable` flag: callers (and the consumer framework) decide what to do from
 * those, never from the message text.
 */

/** Every code an {@link OutstreamError} may carry. */
export const ErrorCode = {
  config: 'CONFIG_INVALID',
  invalidEvent: 'INVALID_EVENT',
  unknownEventType: 'UNKNOWN_EVENT_TYPE',
  schemaNotRegistered: 'SCHEMA_NOT_REGISTERED',
  registry: 'SCHEMA_REGISTRY',
  schemaDecode: 'SCHEMA_DECODE',
  schemaIncompatible: 'SCHEMA_INCOMPATIBLE',
  duplicateEvent: 'DUPLICATE_EVENT',
  sequenceConflict: 'SEQUENCE_CONFLICT',
  stack: 'STACK',
  retriesExhausted: 'RETRIES_EXHAUSTED',
  consumer: 'CONSUMER',
  kafka: 'KAFKA',
  idempotencyPending: 'IDEMPOTENCY_PENDING',
  unauthorized: 'UNAUTHORIZED',
  forbiddenChannel: 'FORBIDDEN_CHANNEL',
  forbiddenAction: 'FORBIDDEN_ACTION',
  invalidChannels: 'INVALID_CHANNELS',
  invalidPosition: 'INVALID_POSITION',
  invalidArgument: 'INVALID_ARGUMENT',
  cacheKeyInvalid: 'CACHE_KEY_INVALID',
  cacheWaitTimeout: 'CACHE_WAIT_TIMEOUT',
  recipientMissing: 'RECIPIENT_MISSING',
  emailRejected: 'EMAIL_REJECTED',
  emailDeferred: 'EMAIL_DEFERRED',
  analyticsWrite: 'ANALYTICS_WRITE',
  dependencyUnavailable: 'DEPENDENCY_UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Options common to every Outstream error. */
export interface OutstreamErrorOptions {
  retriable?: boolean;
  cause?: unknown;
}

/** Base class of every error Outstream throws on purpose. */
export class OutstreamError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: OutstreamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/**
 * A Kafka request failed. `retriable` says whether the same request may succeed later (a
 * broker down, a leader moving, a coordinator loading) or never will (a member fenced, a
 * topic that does not exist, a record too large). `kafkaCode` is the broker's error name
 * when it answered with one (e.g. `NOT_COORDINATOR`, `FENCED_MEMBER_EPOCH`).
 */
export class KafkaError extends OutstreamError {
  readonly kafkaCode: string | undefined;
  constructor(message: string, options: OutstreamErrorOptions & { kafkaCode?: string } = {}) {
    super(ErrorCode.kafka, message, options);
    this.kafkaCode = options.kafkaCode;
  }
}

/** The systems a consumer depends on, as {@link DependencyUnavailableError} names them. */
export const Dependency = {
  postgres: 'postgres',
  redis: 'redis',
  smtp: 'smtp',
  schemaRegistry: 'schema-registry',
  kafka: 'kafka',
} as const;
export type Dependency = (typeof Dependency)[keyof typeof Dependency];

/**
 * A system the work depends on cannot be reached or cannot serve now (a database restarting,
 * Redis down, an SMTP server refusing connections): nothing is wrong with the event being
 * handled. Consumers wait such an outage out (retried without limit, capped backoff) and never
 * dead-letter an event because of it. `dependency` names the system (a {@link Dependency}, or
 * `host:port` of one the framework does not know).
 */
export class DependencyUnavailableError extends OutstreamError {
  readonly dependency: string;
  constructor(dependency: string, message: string, options: Omit<OutstreamErrorOptions, 'retriable'> = {}) {
    super(ErrorCode.dependencyUnavailable, `${dependency} unavailable: ${message}`, {
      ...options,
      retriable: true,
    });
    this.dependency = dependency;
  }
}

/** Configuration (environment or options) failed validation; `issues` name each bad key. */
export class ConfigError extends OutstreamError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(ErrorCode.config, `invalid configuration:\n  - ${issues.join('\n  - ')}`);
    this.issues = issues;
  }
}

/** A command was called with missing or invalid arguments; `issues` name each one. */
export class InvalidArgumentError extends OutstreamError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(ErrorCode.invalidArgument, `invalid arguments:\n  - ${issues.join('\n  - ')}`);
    this.issues = issues;
  }
}

/** One offending field of an event payload. */
export interface FieldIssue {
  /** Dotted path from the payload root, e.g. `guest.email` or `rooms[2].id`. */
  path: string;
  /** What the schema expects at that path, e.g. `string`, `enum BookingStatus (PENDING|CONFIRMED)`. */
  expected: string;
  /** A short rendering of the value that was given. */
  received: string;
}

/** A payload does not match its event type's schema. Nothing was written. */
export class InvalidEventError extends OutstreamError {
  readonly eventType: string;
  readonly issues: readonly FieldIssue[];
  constructor(eventType: string, issues: readonly FieldIssue[]) {
    const lines = issues.map((i) => `${i.path || '(root)'}: expected ${i.expected}, got ${i.received}`);
    super(ErrorCode.invalidEvent, `invalid ${eventType} payload:\n  - ${lines.join('\n  - ')}`);
    this.eventType = eventType;
    this.issues = issues;
  }
}

/** An event type that the catalogue does not know. */
export class UnknownEventTypeError extends OutstreamError {
  readonly eventType: string;
  constructor(eventType: string) {
    super(ErrorCode.unknownEventType, `unknown event type "${eventType}" (not in schemas/catalogue.ts)`);
    this.eventType = eventType;
  }
}

/** The schema of an event type is not registered under its subject (and auto-register is off). */
export class SchemaNotRegisteredError extends OutstreamError {
  readonly eventType: string;
  readonly subject: string;
  constructor(eventType: string, subject: string) {
    super(
      ErrorCode.schemaNotRegistered,
      `the ${eventType} schema is not registered under subject "${subject}": run \`npm run schemas -- register\` ` +
        '(a deploy step), or create the emitter with autoRegister: true in development',
    );
    this.eventType = eventType;
    this.subject = subject;
  }
}

/** Bytes could not be decoded into an event (bad framing, unknown schema id, unreadable Avro). */
export class SchemaDecodeError extends OutstreamError {
  constructor(message: string, options: OutstreamErrorOptions = {}) {
    super(ErrorCode.schemaDecode, message, options);
  }
}

/** A handler failed on every attempt it was given. */
export class RetriesExhaustedError extends OutstreamError {
  readonly attempts: number;
  constructor(attempts: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(ErrorCode.retriesExhausted, `gave up after ${attempts} attempts: ${reason}`, { cause });
    this.attempts = attempts;
  }
}

/** A stack component could not be started, reached or stopped. */
export class StackError extends OutstreamError {
  readonly component: string;
  constructor(component: string, message: string, options: OutstreamErrorOptions = {}) {
    super(ErrorCode.stack, `${component}: ${message}`, options);
    this.component = component;
  }
}

/** A realtime client presented no credentials, or ones that do not verify (HTTP 401). */
export class UnauthorizedError extends OutstreamError {
  constructor(message: string, options: OutstreamErrorOptions = {}) {
    super(ErrorCode.unauthorized, message, options);
  }
}

/** A realtime client asked for channels its token does not grant (HTTP 403); `channels` names them. */
export class ForbiddenChannelError extends OutstreamError {
  readonly channels: readonly string[];
  constructor(channels: readonly string[]) {
    super(ErrorCode.forbiddenChannel, `not allowed to subscribe to ${channels.join(', ')}`);
    this.channels = channels;
  }
}

/** An operator's token does not grant an action of the ops console (HTTP 403); `action` names it. */
export class ForbiddenActionError extends OutstreamError {
  readonly action: string;
  constructor(action: string, why: string) {
    super(ErrorCode.forbiddenAction, `not allowed to ${action}: ${why}`);
    this.action = action;
  }
}

/** A realtime client's channel list is malformed (HTTP 400); the message names the bad entry. */
export class InvalidChannelsError extends OutstreamError {
  constructor(message: string) {
    super(ErrorCode.invalidChannels, message);
  }
}

/** A resume token (SSE `Last-Event-ID`) that cannot be read: not one this gateway issued. */
export class InvalidPositionError extends OutstreamError {
  constructor(message: string) {
    super(ErrorCode.invalidPosition, `invalid resume token: ${message}`);
  }
}

/**
 * Shape-checking guard: true for any Outstream error (even one from another copy of
 * this module), optionally of one code.
 *
 * @example
 * if (isOutstreamError(err, ErrorCode.invalidEvent)) console.error(err.issues);
 */
export function isOutstreamError(e: unknown, code?: ErrorCode): e is OutstreamError {
  if (typeof e !== 'object' || e === null) return false;
  const c = (e as { code?: unknown }).code;
  const ok =
    typeof c === 'string' &&
    typeof (e as { retriable?: unknown }).retriable === 'boolean' &&
    (Object.values(ErrorCode) as string[]).includes(c);
  return ok && (code === undefined || c === code);
}

/**
 * Node's network errors (errno codes): a connection refused, reset or timed out, a host not
 * found — the server at the other end cannot be reached, whatever the request was.
 */
export const networkErrorCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
