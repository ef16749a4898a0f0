import type { EventType } from '../../schemas/index.ts';

/**
 * Every event type, for `addEventListener` (an EventSource only dispatches named events to
 * listeners of that name). A copy kept browser-safe (the catalogue module pulls in Avro); the
 * checks below fail to compile when it drifts from the event map.
 */
export const eventTypeNames = [
  'booking.created',
  'booking.confirmed',
  'booking.cancelled',
  'booking.room_assigned',
  'booking.checked_in',
  'booking.checked_out',
  'booking.reminder_due',
  'booking.follow_up_due',
  'booking.dates_changed',
  'room.status_changed',
  'room.occupancy_changed',
  'message.created',
  'message.edited',
  'message.deleted',
  'user.registered',
  'user.profile_updated',
  'notification.created',
  'chat.typing',
  'chat.read',
  'chat.reaction',
  'presence.joined',
  'presence.left',
] as const satisfies readonly EventType[];

type Missing = Exclude<EventType, (typeof eventTypeNames)[number]>;
/** Compile-time check: `never` unless an event type is missing from {@link eventTypeNames}. */
export type MissingEventTypes = Missing;
const complete: [Missing] extends [never] ? true : Missing = true;
void complete;
