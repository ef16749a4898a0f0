import type pg from 'pg';
import type { NotificationKind } from '../../schemas/index.ts';
import type { Medium } from './rules.ts';

/**
 * Sets one preference (what a settings page calls). No row means enabled; a row for a kind
 * wins over the user's `'*'` row.
 *
 * @example
 * await setPreference(pool, { userId, kind: 'BOOKING_CONFIRMED', medium: 'email', enabled: false });
 */
export async function setPreference(
  db: Pick<pg.ClientBase, 'query'>,
  p: { userId: string; kind: NotificationKind | '*'; medium: Medium; enabled: boolean },
): Promise<void> {
  await db.query(
    `INSERT INTO notification_preferences (user_id, kind, medium, enabled) VALUES ($1, $2, $3, $4)
     ON CONFLICT (user_id, kind, medium) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now()`,
    [p.userId, p.kind, p.medium, p.enabled],
  );
}
