/**
 * The largest Kafka record the pipeline sends: Connect's producer `max.request.size` and the
 * broker's `message.max.bytes` (a topic's `max.message.bytes`) are 1 MiB by default, and the
 * stack and `infra/topics` keep those defaults. A record above it fails the Debezium task, on
 * every restart, and nothing after it is published (connect/README.md).
 */
export const kafkaRecordLimitBytes = 1024 * 1024;

/**
 * The largest event, in bytes: the framed payload plus the envelope columns that travel as
 * headers (event type, aggregate id, actor, trace context) plus a 256-byte allowance for the
 * header names and the fixed-size values. The one declared limit of the pipeline:
 *
 * - `emit()` refuses a larger event with `InvalidEventError` before writing anything;
 * - the outbox guard (migration `007_outbox_event_limit.sql`, `outbox_max_event_bytes()`)
 *   refuses a larger row from any other writer at its INSERT, with the same formula;
 * - the 124 KiB left below {@link kafkaRecordLimitBytes} hold what the formula does not count:
 *   the key (the aggregate id again, at most 255 characters), Debezium's `id` and
 *   `__debezium.context.*` headers and the record batch overhead (about 500 bytes measured
 *   for a 2 MB event: serialized 2,000,516 bytes for a 2,000,005-byte payload).
 *
 * `infra/outbox/outbox-guard.int.test.ts` proves on the stack that an event of exactly this
 * size, with the largest envelope emit() allows, is published byte for byte, that one byte more
 * is refused, and that the database's figure is this one.
 */
export const maxEventBytes = 900 * 1024;
