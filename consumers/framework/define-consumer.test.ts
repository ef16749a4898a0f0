import { describe, expect, expectTypeOf, it } from 'vitest';
import { type ConfigError, ErrorCode, isOutstreamError } from '../../core/errors.ts';
import type { KafkaClient } from '../../core/kafka/index.ts';
import type { BookingConfirmed, EventOf, KafkaCoordinates, RoomStatusChanged } from '../../schemas/index.ts';
import { type ConsumerOptions, defineConsumer } from './define-consumer.ts';
import { ack, type Coalesced, type HandlerContext, type HandlerResult, skip } from './handler.ts';

// Nothing here connects: defineConsumer only validates and wires; start() would connect.
const fail = () => {
  throw new Error('unit tests do not connect');
};
const kafka: KafkaClient = {
  brokers: [],
  clientId: 'unit',
  admin: fail,
  withAdmin: fail,
  producer: fail,
  reader: fail,
  groupConsumer: fail,
};
const registry = { schemaById: async () => '{}' };
const base = { kafka, registry };

function configError(options: unknown): ConfigError {
  try {
    defineConsumer(options as ConsumerOptions);
  } catch (e) {
    expect(isOutstreamError(e, ErrorCode.config), String(e)).toBe(true);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('defineConsumer types', () => {
  it('types each handler by its event type', () => {
    defineConsumer({
      ...base,
      group: 'typed',
      handlers: {
        'booking.confirmed': async (e, ctx) => {
          expectTypeOf(e).toEqualTypeOf<EventOf<'booking.confirmed'>>();
          expectTypeOf(e.payload).toEqualTypeOf<BookingConfirmed>();
          expectTypeOf(e.type).toEqualTypeOf<'booking.confirmed'>();
          expectTypeOf(e.kafka).toEqualTypeOf<KafkaCoordinates>();
          expectTypeOf(e.sequence).toBeNumber();
          expectTypeOf(ctx).toEqualTypeOf<HandlerContext>();
        },
        'room.status_changed': async (e) => {
          expectTypeOf(e.payload).toEqualTypeOf<RoomStatusChanged>();
          return e.payload.status === 'OUT_OF_ORDER' ? skip('out of order') : ack;
        },
      },
    });
  });

  it('gives a debounced handler its event and what the run stands for', () => {
    defineConsumer({
      ...base,
      group: 'typed',
      handlers: {
        'room.status_changed': {
          debounce: { quietMs: 500, maxWaitMs: 5_000 },
          handle: async (e, ctx) => {
            expectTypeOf(e).toEqualTypeOf<EventOf<'room.status_changed'>>();
            expectTypeOf(ctx.coalesced).toEqualTypeOf<Coalesced>();
            expectTypeOf(ctx.coalesced.count).toBeNumber();
            expectTypeOf(ctx.coalesced.firstOffset).toEqualTypeOf<bigint>();
            expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
            return ctx.coalesced.count > 1 ? ack : skip('alone');
          },
        },
        'booking.confirmed': async (_e, ctx) => {
          // @ts-expect-error a plain handler's run stands for its own event only
          void ctx.coalesced;
        },
      },
    });
    defineConsumer({
      ...base,
      group: 'typed',
      handlers: {
        'room.status_changed': {
          debounce: { quietMs: 500, maxWaitMs: 5_000 },
          handle: async (e) => {
            // @ts-expect-error RoomStatusChanged has no `bookingId` field
            void e.payload.bookingId;
          },
        },
      },
    });
  });

  it('does not compile a handler for an unknown event type, or a wrong payload use', () => {
    expect(() =>
      defineConsumer({
        ...base,
        group: 'typed',
        handlers: {
          // @ts-expect-error 'booking.teleported' is not an event type
          'booking.teleported': async () => {},
        },
      }),
    ).toThrow(/booking.teleported: not an event type/);
    defineConsumer({
      ...base,
      group: 'typed',
      handlers: {
        'booking.confirmed': async (e) => {
          // @ts-expect-error BookingConfirmed has no `status` field
          void e.payload.status;
        },
      },
    });
  });

  it('accepts void, ack and skip results and nothing else', () => {
    expectTypeOf(ack).toEqualTypeOf<HandlerResult>();
    expectTypeOf(skip('x')).toEqualTypeOf<HandlerResult>();
    defineConsumer({
      ...base,
      group: 'typed',
      handlers: {
        // @ts-expect-error a handler must return a promise of void or a HandlerResult
        'user.registered': async () => 'done',
      },
    });
  });
});

describe('defineConsumer validation', () => {
  it('names every bad debounce option, and a maximum wait the liveness check would call a stall', () => {
    const handle = async () => {};
    const e = configError({
      ...base,
      group: 'g',
      stallTimeoutMs: 30_000,
      handlers: {
        'room.status_changed': { handle, debounce: { quietMs: 0, maxWaitMs: 10 } },
        'room.occupancy_changed': { handle, debounce: { quietMs: 2_000, maxWaitMs: 1_000 } },
        'booking.created': { handle: 'x', debounce: { quietMs: 10, maxWaitMs: 30_000 }, every: 1 },
        'booking.confirmed': { handle },
        'user.registered': { handle, debounce: { quietMs: 1, maxWaitMs: 1e12 } },
      },
    });
    expect(e.issues).toEqual([
      'defineConsumer handlers.room.status_changed.debounce.quietMs: must be an integer from 1 to 3600000, got 0',
      'defineConsumer handlers.room.occupancy_changed.debounce.maxWaitMs: must be at least quietMs (2000), got 1000',
      'defineConsumer handlers.booking.created.every: not a handler option (handle, debounce)',
      'defineConsumer handlers.booking.created.handle: must be a function, got "x"',
      'defineConsumer handlers.booking.confirmed.debounce: must be an object { quietMs, maxWaitMs }, got undefined',
      'defineConsumer handlers.user.registered.debounce.maxWaitMs: must be an integer from 1 to 3600000, got 1000000000000',
      'defineConsumer handlers.booking.created.debounce.maxWaitMs: must be shorter than stallTimeoutMs (30000), got 30000',
    ]);
    // With the liveness check off, any maximum wait goes.
    defineConsumer({
      ...base,
      group: 'g',
      stallTimeoutMs: 0,
      handlers: { 'room.status_changed': { handle, debounce: { quietMs: 1_000, maxWaitMs: 300_000 } } },
    });
  });

  it('names every bad option at once', () => {
    const e = configError({
      group: 'has space',
      handlers: { 'booking.created': 'not a function', 'nope.nope': async () => {} },
      kafka: {},
      registry: {},
      inFlight: 0,
      retry: { maxAttempts: 0, jitter: 2, multiplier: 0.5 },
      orderingOnFailure: 'sometimes',
      topicNames: { 'events.booking': 'bad name!', 'events.nothing': 'x' },
    });
    expect(e.issues).toEqual([
      expect.stringMatching(/^defineConsumer group: must be letters.*got "has space"/),
      'defineConsumer handlers.booking.created: must be a function or { handle, debounce }, got "not a function"',
      expect.stringMatching(/handlers.nope.nope: not an event type/),
      'defineConsumer kafka: must be a Kafka client (createKafka from core/kafka), got an object',
      'defineConsumer registry: must be a schema registry client, got an object',
      'defineConsumer inFlight: must be an integer from 1 to 10000, got 0',
      'defineConsumer retry.maxAttempts: must be an integer from 1 to 1000, got 0',
      'defineConsumer retry.multiplier: must be a number ≥ 1, got 0.5',
      'defineConsumer retry.jitter: must be a number from 0 to 1, got 2',
      'defineConsumer orderingOnFailure: must be one of continue, block-key, got "sometimes"',
      'defineConsumer topicNames.events.booking: must be a topic name, got "bad name!"',
      'defineConsumer topicNames.events.nothing: not a catalogue topic',
    ]);
    expect(e.message).toContain('inFlight');
  });

  it('takes a dead-letter retention in milliseconds (≥ 1 hour) or -1 for forever', () => {
    const handlers = { 'booking.created': async () => {} };
    expect(
      configError({ ...base, group: 'g', handlers, deadLetter: { retentionMs: 30 * 24 * 3600 } }).issues,
    ).toEqual([
      'defineConsumer deadLetter.retentionMs: must be milliseconds ≥ 3600000 (1 hour), or -1 (forever), got 2592000',
    ]);
    expect(configError({ ...base, group: 'g', handlers, deadLetter: 'long' }).issues).toEqual([
      'defineConsumer deadLetter: must be an object, got "long"',
    ]);
    for (const retentionMs of [-1, 3_600_000, 90 * 86_400_000, undefined]) {
      expect(() =>
        defineConsumer({ ...base, group: 'g', handlers, deadLetter: { retentionMs } }),
      ).not.toThrow();
    }
  });

  it('checks the tuning of the group member, alone and against each other', () => {
    const handlers = { 'booking.created': async () => {} };
    expect(
      configError({ ...base, group: 'g', handlers, protocol: 'eager', maxWaitMs: 0, sessionTimeoutMs: 10 })
        .issues,
    ).toEqual([
      'defineConsumer protocol: must be one of consumer, classic, got "eager"',
      'defineConsumer maxWaitMs: must be an integer from 1 to 30000, got 0',
      'defineConsumer sessionTimeoutMs: must be an integer from 1000 to 3600000, got 10',
    ]);
    expect(
      configError({
        ...base,
        group: 'g',
        handlers,
        heartbeatIntervalMs: 10_000,
        sessionTimeoutMs: 6_000,
        drainTimeoutMs: 20_000,
        rebalanceTimeoutMs: 10_000,
      }).issues,
    ).toEqual([
      'defineConsumer heartbeatIntervalMs: must be shorter than sessionTimeoutMs (6000), got 10000',
      'defineConsumer drainTimeoutMs: must be shorter than rebalanceTimeoutMs (10000), got 20000',
    ]);
    expect(
      configError({ ...base, group: 'g', handlers, ordering: 'none', orderingOnFailure: 'block-key' }).issues,
    ).toEqual([
      "defineConsumer orderingOnFailure: must be 'continue' with ordering 'none' (a key without order has nothing to block), got block-key",
    ]);
    // The defaults satisfy the rules: drainTimeoutMs 15 s < rebalanceTimeoutMs 60 s.
    expect(() => defineConsumer({ ...base, group: 'g', handlers, drainTimeoutMs: 30_000 })).not.toThrow();
  });

  it('takes a decoder in place of a registry', () => {
    const handlers = { 'booking.created': async () => {} };
    expect(configError({ kafka, group: 'g', handlers }).issues).toEqual([
      'defineConsumer registry: must be a schema registry client (or pass decoder), got undefined',
    ]);
    expect(() =>
      defineConsumer({ kafka, group: 'g', handlers, decoder: { decode: async () => ({}) as never } }),
    ).not.toThrow();
  });

  it('requires at least one handler', () => {
    expect(configError({ ...base, group: 'g', handlers: {} }).issues).toEqual([
      'defineConsumer handlers: must be an object with at least one handler, got an object',
    ]);
  });

  it('derives the topics from the handled event types, with renames', () => {
    const c = defineConsumer({
      ...base,
      group: 'g',
      handlers: {
        'booking.created': async () => {},
        'booking.confirmed': async () => {},
        'user.registered': async () => {},
      },
      topicNames: { 'events.user': 'test.events.user' },
    });
    expect(c.topics).toEqual(['events.booking', 'test.events.user']);
    expect(c.status()).toMatchObject({ group: 'g', state: 'idle', inFlight: 0 });
  });
});
