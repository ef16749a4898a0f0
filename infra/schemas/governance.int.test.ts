import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { type AvroRecordSchema, catalogue } from '../../schemas/index.ts';
import { checkSchemas, listSubjects, registerSchemas } from './governance.ts';

const registry = createSchemaRegistry({ url: loadConfig(process.env).registry.url });
const v1 = catalogue['booking.created'].schema;
const withField = (field: object): AvroRecordSchema => ({ ...v1, fields: [...v1.fields, field] as never });

describe('schemas register / check', () => {
  it('registers idempotently, accepts a compatible change and explains an incompatible one', async () => {
    // A throwaway subject: the real ones must never hold test schemas.
    const subject = `test.governance-${randomUUID()}-outstream.booking.BookingCreated`;
    const [first] = await registerSchemas(registry, [{ subject, schema: v1 }]);
    expect(first).toMatchObject({ change: 'new subject', compatibilitySet: true });
    const [again] = await registerSchemas(registry, [{ subject, schema: v1 }]);
    expect(again).toMatchObject({ change: 'unchanged', id: first!.id, compatibilitySet: false });

    const compatible = withField({ name: 'loyaltyTier', type: ['null', 'string'], default: null });
    const missingDefault = withField({ name: 'loyaltyTier', type: 'string' });
    const retyped: AvroRecordSchema = {
      ...v1,
      fields: v1.fields.map((f) => (f.name === 'partySize' ? { ...f, type: 'string' } : f)) as never,
    };
    const results = await checkSchemas(registry, [
      { subject, schema: v1 },
      { subject, schema: compatible },
      { subject, schema: missingDefault },
      { subject, schema: retyped },
    ]);
    expect(results.map((r) => r.status)).toEqual(['unchanged', 'compatible', 'incompatible', 'incompatible']);
    expect(results[2]!.explanation).toMatch(/loyaltyTier/);
    expect(results[3]!.explanation).toMatch(/partySize|int|string/);
    expect(results.every((r) => r.level === 'BACKWARD')).toBe(true);

    // The registry itself refuses the incompatible version.
    await expect(registry.register(subject, missingDefault)).rejects.toThrow(/409/);
  });

  it('schemas list: every subject with its level and versions, marking those the catalogue does not declare', async () => {
    const subject = `test.governance-${randomUUID()}-outstream.booking.BookingCreated`;
    const compatible = withField({ name: 'loyaltyTier', type: ['null', 'string'], default: null });
    await registerSchemas(registry, [{ subject, schema: v1 }]);
    const second = await registry.register(subject, compatible);
    const listed = await listSubjects(registry);
    expect(listed.find((s) => s.subject === subject)).toEqual({
      subject,
      level: 'BACKWARD',
      inherited: false,
      versions: [1, 2],
      latestId: second,
      inCatalogue: false,
    });
    const real = catalogue['booking.created'].subject;
    expect(listed.find((s) => s.subject === real)).toMatchObject({ inCatalogue: true, level: 'BACKWARD' });
  });
});
