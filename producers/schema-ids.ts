import { SchemaNotRegisteredError } from '../core/errors.ts';
import type { SchemaRegistry } from '../core/schema-registry.ts';
import { catalogue, type EventType } from '../schemas/index.ts';

/** Resolves the registry id of each event type's local schema, once per process. */
export interface SchemaIds {
  idFor(eventType: EventType): Promise<number>;
}

/**
 * Looks each local schema up under its subject (record name per topic) and caches the id.
 * Registering is a deploy step (`npm run schemas -- register`); `autoRegister` registers
 * on first use instead, for development.
 */
export function createSchemaIds(registry: SchemaRegistry, { autoRegister = false } = {}): SchemaIds {
  const ids = new Map<EventType, Promise<number>>();
  async function resolve(eventType: EventType): Promise<number> {
    const { subject, schema } = catalogue[eventType];
    const id = await registry.lookupId(subject, schema);
    if (id !== undefined) return id;
    if (!autoRegister) throw new SchemaNotRegisteredError(eventType, subject);
    return registry.register(subject, schema);
  }
  return {
    idFor(eventType) {
      let p = ids.get(eventType);
      if (!p) {
        p = resolve(eventType);
        p.catch(() => ids.delete(eventType));
        ids.set(eventType, p);
      }
      return p;
    },
  };
}
