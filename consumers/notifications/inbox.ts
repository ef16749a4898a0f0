import type pg from 'pg';

/** One notification as an inbox shows it. */
export interface InboxItem {
  id: string;
  kind: string;
  title: string;
  body: string;
  sourceEventId: string;
  sourceEventType: string;
  createdAt: Date;
  readAt: Date | null;
}

/**
 * A user's notifications, newest first (what an inbox page or the realtime client's initial
 * load reads). Page with `before` (the `createdAt` of the last item seen).
 *
 * @example
 * const page = await listInbox(pool, userId, { unreadOnly: true, limit: 20 });
 */
export async function listInbox(
  db: Pick<pg.ClientBase, 'query'>,
  userId: string,
  o: { unreadOnly?: boolean; limit?: number; before?: Date } = {},
): Promise<InboxItem[]> {
  const limit = Math.min(Math.max(o.limit ?? 50, 1), 500);
  const { rows } = await db.query<{
    id: string;
    kind: string;
    title: string;
    body: string;
    source_event_id: string;
    source_event_type: string;
    created_at: Date;
    read_at: Date | null;
  }>(
    `SELECT id, kind, title, body, source_event_id, source_event_type, created_at, read_at
     FROM notifications
     WHERE recipient_id = $1 AND ($2::boolean IS NOT TRUE OR read_at IS NULL)
       AND ($3::timestamptz IS NULL OR created_at < $3)
     ORDER BY created_at DESC, id DESC LIMIT $4`,
    [userId, o.unreadOnly ?? false, o.before ?? null, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    title: r.title,
    body: r.body,
    sourceEventId: r.source_event_id,
    sourceEventType: r.source_event_type,
    createdAt: r.created_at,
    readAt: r.read_at,
  }));
}

/** Marks notifications of `userId` read (others' ids are ignored); returns how many changed. */
export async function markRead(
  db: Pick<pg.ClientBase, 'query'>,
  userId: string,
  ids: readonly string[],
): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await db.query(
    'UPDATE notifications SET read_at = now() WHERE recipient_id = $1 AND id = ANY($2::uuid[]) AND read_at IS NULL',
    [userId, ids],
  );
  return r.rowCount ?? 0;
}
