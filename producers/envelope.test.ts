import { describe, expect, expectTypeOf, it } from 'vitest';
import { type EphemeralEventType, samples } from '../schemas/index.ts';
import { type AnyEmitInput, type EmitInput, envelopeIssues } from './envelope.ts';

const valid: AnyEmitInput = {
  type: 'room.status_changed',
  aggregateId: 'r-101',
  payload: samples['room.status_changed'],
};

describe('envelopeIssues', () => {
  it('accepts a minimal and a complete envelope', () => {
    expect(envelopeIssues(valid)).toEqual([]);
    const full = {
      ...valid,
      actor: 'user:42',
      idempotencyKey: 'k-1',
      occurredAt: new Date(),
      trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'a=1' },
    };
    expect(envelopeIssues(full)).toEqual([]);
  });

  it('names every bad envelope field at once', () => {
    const bad = {
      ...valid,
      aggregateId: '',
      actor: 'x'.repeat(300),
      occurredAt: new Date('nope'),
      trace: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' },
    };
    expect(envelopeIssues(bad).map((i) => i.path)).toEqual([
      'aggregateId',
      'actor',
      'trace.traceparent',
      'occurredAt',
    ]);
  });

  it('refuses a NUL character in a text field by name (PostgreSQL text cannot hold it)', () => {
    const issues = envelopeIssues({ ...valid, aggregateId: 'r-1\u0000', actor: 'user:\u000042' });
    expect(issues.map((i) => i.path)).toEqual(['aggregateId', 'actor']);
    expect(issues[0]?.expected).toMatch(/without NUL/);
  });
});

describe('emit input types', () => {
  it('types the payload by the event type', () => {
    expectTypeOf<EmitInput<'booking.created'>['payload']['totalAmount']>().toEqualTypeOf<string>();
    // @ts-expect-error: not an event type of the catalogue
    const wrongType: AnyEmitInput = { type: 'booking.teleported', aggregateId: 'x', payload: {} };
    // @ts-expect-error: a room payload is not a booking payload
    const wrongPayload: AnyEmitInput = {
      type: 'booking.created',
      aggregateId: 'x',
      payload: samples['room.status_changed'],
    };
    expect([wrongType, wrongPayload]).toHaveLength(2);
    // An ephemeral type is written with publish(), never through the outbox.
    expectTypeOf<Extract<AnyEmitInput['type'], EphemeralEventType>>().toBeNever();
  });
});
