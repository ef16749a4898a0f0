import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Events } from '../schemas/index.ts';
import {
  type ChannelTemplate,
  full,
  type PublicPayload,
  type RouteTable,
  routes,
  type Wire,
} from './channels.ts';

describe('route table types', () => {
  it('accepts templates over existing string fields only', () => {
    expectTypeOf<'hotel:{hotelId}'>().toExtend<ChannelTemplate<Events['booking.created']>>();
    expectTypeOf<'user:{recipientIds}'>().toExtend<ChannelTemplate<Events['message.created']>>();
    // A number field cannot name a channel.
    expectTypeOf<'hotel:{partySize}'>().not.toExtend<ChannelTemplate<Events['booking.created']>>();
  });

  it('rejects unknown event types, fields and channel kinds at compile time', () => {
    const unknownType = {
      ...routes,
      // @ts-expect-error: no such event type in the catalogue
      'booking.teleported': { 'hotel:{hotelId}': full },
    } satisfies RouteTable;
    const unknownField = {
      ...routes,
      // @ts-expect-error: booking.created has no field `roomId`
      'booking.created': { 'hotel:{roomId}': full },
    } satisfies RouteTable;
    const unknownKind = {
      ...routes,
      // @ts-expect-error: `tenant` is not a channel kind
      'notification.created': { 'tenant:{recipientId}': full },
    } satisfies RouteTable;
    const wrongProjection = {
      ...routes,
      // @ts-expect-error: the projection reads a field the payload does not have
      'room.status_changed': { 'hotel:{hotelId}': (p) => ({ email: p.guest }) },
    } satisfies RouteTable;
    expect([unknownType, unknownField, unknownKind, wrongProjection]).toHaveLength(4);
  });

  it('types public payloads from the projections (no guest email on staff channels)', () => {
    type Created = PublicPayload<'booking.created'>;
    expectTypeOf<Events['booking.created']>().toExtend<Created>();
    expectTypeOf<Extract<Created, { guest: { email: string } }>>().toEqualTypeOf<Events['booking.created']>();
    expectTypeOf<PublicPayload<'notification.created'>>().toEqualTypeOf<Events['notification.created']>();
    expectTypeOf<Wire<PublicPayload<'notification.created'>>['createdAt']>().toEqualTypeOf<string>();
  });
});
