import { aggregateIdField } from '../avro-schema.ts';
import type { CatalogueEntry } from '../catalogue.ts';
import type { AsyncApiInputs } from './inputs.ts';

export { aggregateIdField };

/** The aggregate id of an event type's sample, for the examples. */
export function sampleAggregateId(inputs: AsyncApiInputs, entry: CatalogueEntry): string {
  const field = aggregateIdField(entry.schema);
  const value =
    field === undefined
      ? undefined
      : (inputs.samples[entry.eventType] as unknown as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : 'example-id';
}
