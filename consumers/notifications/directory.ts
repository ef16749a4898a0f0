import type pg from 'pg';
import type { UserProfileUpdated, UserRegistered } from '../../schemas/index.ts';

type Db = Pick<pg.ClientBase, 'query'>;

/**
 * The group's directory of users, projected from user events: where to send email and who
 * the staff of each hotel are. A row only moves forward: an event whose sequence is not
 * above the row's (a redelivery) changes nothing.
 */
export async function projectRegistered(db: Db, p: UserRegistered, sequence: number): Promise<void> {
  await db.query(
    `INSERT INTO notification_users AS u (user_id, email, display_name, role, hotel_id, locale, last_sequence)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, display_name = EXCLUDED.display_name,
       role = EXCLUDED.role, hotel_id = EXCLUDED.hotel_id, locale = EXCLUDED.locale,
       last_sequence = EXCLUDED.last_sequence, updated_at = now()
     WHERE u.last_sequence < EXCLUDED.last_sequence`,
    [p.userId, p.email, p.displayName, p.role, p.hotelId, p.locale, sequence],
  );
}

/** Applies a profile change (a user registered before the topics' retention is inserted as a guest). */
export async function projectProfileUpdated(db: Db, p: UserProfileUpdated, sequence: number): Promise<void> {
  await db.query(
    `INSERT INTO notification_users AS u (user_id, email, display_name, role, locale, last_sequence)
     VALUES ($1, $2, $3, 'GUEST', $4, $5)
     ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, display_name = EXCLUDED.display_name,
       locale = EXCLUDED.locale, last_sequence = EXCLUDED.last_sequence, updated_at = now()
     WHERE u.last_sequence < EXCLUDED.last_sequence`,
    [p.userId, p.email, p.displayName, p.locale, sequence],
  );
}

/** A directory row. */
export interface DirectoryUser {
  userId: string;
  email: string;
  name: string;
  locale: string;
}

/** The users with these ids that the directory knows. */
export async function usersById(db: Db, ids: readonly string[]): Promise<Map<string, DirectoryUser>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ user_id: string; email: string; display_name: string; locale: string }>(
    'SELECT user_id, email, display_name, locale FROM notification_users WHERE user_id = ANY($1::text[])',
    [ids],
  );
  return new Map(
    rows.map((r) => [
      r.user_id,
      { userId: r.user_id, email: r.email, name: r.display_name, locale: r.locale },
    ]),
  );
}

/** The staff (and admins) of each hotel, by hotel id (hotels without staff are absent). */
export async function staffOfHotels(
  db: Db,
  hotelIds: readonly string[],
): Promise<Map<string, DirectoryUser[]>> {
  const out = new Map<string, DirectoryUser[]>();
  if (hotelIds.length === 0) return out;
  const { rows } = await db.query<{
    hotel_id: string;
    user_id: string;
    email: string;
    display_name: string;
    locale: string;
  }>(
    `SELECT hotel_id, user_id, email, display_name, locale FROM notification_users
     WHERE hotel_id = ANY($1::text[]) AND role IN ('STAFF', 'ADMIN') ORDER BY hotel_id, user_id`,
    [hotelIds],
  );
  for (const r of rows) {
    const list = out.get(r.hotel_id) ?? [];
    list.push({ userId: r.user_id, email: r.email, name: r.display_name, locale: r.locale });
    out.set(r.hotel_id, list);
  }
  return out;
}
