import type { AnyEmitInput } from '../producers/index.ts';
import { samples } from '../schemas/index.ts';

/**
 * The `seq`-th event of booking `id` in the ordering tests: `booking.created` first, then
 * `booking.confirmed` (sequence numbers come from emit(), this only picks the type).
 */
export function bookingEvent(id: string, seq: number): AnyEmitInput {
  return seq === 1
    ? { type: 'booking.created', aggregateId: id, payload: { ...samples['booking.created'], bookingId: id } }
    : {
        type: 'booking.confirmed',
        aggregateId: id,
        payload: { ...samples['booking.confirmed'], bookingId: id },
      };
}
