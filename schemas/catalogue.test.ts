import { describe, expect, it } from 'vitest';
import { UnknownEventTypeError } from '../core/errors.ts';
import {
  aggregateTypes,
  catalogue,
  catalogueEntry,
  eventTypes,
  isEventType,
  subjectOf,
  topicOf,
  topics,
} from './catalogue.ts';
import { eventSchemas } from './generated/events.ts';

describe('catalogue', () => {
  it('has one entry per generated schema', () => {
    expect([...eventTypes].sort()).toEqual(Object.keys(eventSchemas).sort());
    expect(eventTypes).toHaveLength(22);
  });

  it('derives aggregate, topic, record name and subject', () => {
    expect(catalogueEntry('booking.room_assigned')).toEqual({
      eventType: 'booking.room_assigned',
      aggregateType: 'booking',
      topic: 'events.booking',
      ephemeral: false,
      recordName: 'outstream.booking.BookingRoomAssigned',
      subject: 'events.booking-outstream.booking.BookingRoomAssigned',
      schema: eventSchemas['booking.room_assigned'],
    });
  });

  it('puts every event type on the topic of the aggregate its name starts with', () => {
    for (const eventType of eventTypes) {
      const [aggregate] = eventType.split('.');
      const ephemeral = aggregate === 'chat' || aggregate === 'presence';
      expect(topicOf(eventType)).toBe(`${ephemeral ? 'ephemeral' : 'events'}.${aggregate}`);
      expect(catalogueEntry(eventType).ephemeral).toBe(ephemeral);
    }
  });

  it('lists aggregates and topics once each', () => {
    expect(aggregateTypes).toEqual([
      'booking',
      'room',
      'message',
      'user',
      'notification',
      'chat',
      'presence',
    ]);
    expect(topics).toEqual([
      'events.booking',
      'events.room',
      'events.message',
      'events.user',
      'events.notification',
      'ephemeral.chat',
      'ephemeral.presence',
    ]);
  });

  it('uses TopicRecordNameStrategy subjects, distinct per event type', () => {
    expect(subjectOf('notification.created')).toBe(
      'events.notification-outstream.notification.NotificationCreated',
    );
    expect(new Set(eventTypes.map(subjectOf)).size).toBe(eventTypes.length);
  });

  it('throws UnknownEventTypeError for names it does not know, including inherited keys', () => {
    for (const name of ['booking.teleported', 'booking', '', 'toString', '__proto__']) {
      expect(isEventType(name)).toBe(false);
      expect(() => catalogueEntry(name)).toThrow(UnknownEventTypeError);
    }
    expect(() => topicOf('booking.teleported')).toThrow('unknown event type "booking.teleported"');
  });

  it('is frozen', () => {
    expect(Object.isFrozen(catalogue)).toBe(true);
    expect(Object.isFrozen(catalogue['user.registered'])).toBe(true);
    expect(Object.isFrozen(eventTypes)).toBe(true);
  });
});
