import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { OutstreamConfig } from '../../core/config.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { waitFor } from '../../core/wait.ts';
import { createEmitter, createSchemaIds } from '../../producers/index.ts';
import { samples } from '../../schemas/index.ts';
import { withTx } from '../db.ts';

/**
 * Registers two staff members per hotel (`user.registered`, role STAFF) and waits until the
 * notifications group knows them: a booking of a hotel without known staff is dead-lettered
 * by design, and the suite's bookings must not be. Returns the staff ids by hotel.
 */
export async function registerStaff(
  config: OutstreamConfig,
  pool: pg.Pool,
  hotels: readonly string[],
  actor: string,
): Promise<Map<string, string[]>> {
  const staffOf = new Map(hotels.map((h) => [h, [randomUUID(), randomUUID()]]));
  const { emit } = createEmitter({
    schemaIds: createSchemaIds(createSchemaRegistry({ url: config.registry.url })),
    retainRows: true,
  });
  for (const [hotelId, staff] of staffOf) {
    for (const userId of staff) {
      await withTx(pool, (tx) =>
        emit(tx, {
          type: 'user.registered',
          aggregateId: userId,
          actor,
          payload: {
            ...samples['user.registered'],
            userId,
            email: `staff-${userId.slice(0, 8)}@example.test`,
            displayName: `Staff ${userId.slice(0, 8)}`,
            role: 'STAFF',
            hotelId,
            registeredAt: new Date(),
          },
        }),
      );
    }
  }
  const ids = [...staffOf.values()].flat();
  await waitFor(
    async () =>
      (await pool.query('SELECT count(*)::int AS n FROM notification_users WHERE user_id = ANY($1)', [ids]))
        .rows[0].n === ids.length,
    { timeoutMs: 90_000, what: 'the notifications group to know every hotel’s staff' },
  );
  return staffOf;
}
