import { describe, expect, it } from 'vitest';
import { ErrorCode, isOutstreamError } from '../core/errors.ts';
import { catalogue } from '../schemas/index.ts';
import { createSchemaIds } from './schema-ids.ts';

// An in-memory registry port: this tests the caching and auto-register decisions only; the
// real registry is exercised by producers/emit.int.test.ts.
function fakeRegistry(known: Record<string, number>) {
  const calls = { lookup: 0, register: 0 };
  return {
    calls,
    lookupId: async (subject: string) => {
      calls.lookup++;
      return known[subject];
    },
    register: async (subject: string) => {
      calls.register++;
      known[subject] = 99;
      return 99;
    },
  };
}

describe('createSchemaIds', () => {
  it('looks an id up once per event type', async () => {
    const registry = fakeRegistry({ [catalogue['booking.created'].subject]: 7 });
    const ids = createSchemaIds(registry as never);
    expect(await Promise.all([ids.idFor('booking.created'), ids.idFor('booking.created')])).toEqual([7, 7]);
    expect(registry.calls.lookup).toBe(1);
  });

  it('refuses an unregistered schema unless auto-register is on, and does not cache the refusal', async () => {
    const registry = fakeRegistry({});
    const strict = createSchemaIds(registry as never);
    const error = await strict.idFor('room.status_changed').catch((e: unknown) => e);
    expect(isOutstreamError(error, ErrorCode.schemaNotRegistered)).toBe(true);
    expect((error as Error).message).toContain(catalogue['room.status_changed'].subject);
    expect(registry.calls.register).toBe(0);
    expect(
      await createSchemaIds(registry as never, { autoRegister: true }).idFor('room.status_changed'),
    ).toBe(99);
    expect(await strict.idFor('room.status_changed')).toBe(99);
  });
});
