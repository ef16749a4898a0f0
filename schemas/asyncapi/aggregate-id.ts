import type { AvroRecordSchema } from '../avro-schema.ts';
import type { CatalogueEntry } from '../catalogue.ts';
import type { AsyncApiInputs } from './inputs.ts';

/**
 * The payload field holding the aggregate id (the record key), found by the convention every
 * `.avsc` follows: its `doc` says "(aggregate id". Undefined when no single field says so.
 *
 * @example
 * aggregateIdField(catalogue['booking.created'].schema); // 'bookingId'
 */
export function aggregateIdField(schema: AvroRecordSchema): string | undefined {
  const marked = schema.fields.filter((f) => /\(aggregate id\b/.test(f.doc ?? ''));
  return marked.length === 1 ? marked[0]!.name : undefined;
}

/** The aggregate id of an event type's sample, for the examples. */
export function sampleAggregateId(inputs: AsyncApiInputs, entry: CatalogueEntry): string {
  const field = aggregateIdField(entry.schema);
  const value =
    field === undefined
      ? undefined
      : (inputs.samples[entry.eventType] as unknown as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : 'example-id';
}
