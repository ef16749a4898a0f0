import type pg from 'pg';
import { type DirectoryUser, staffOfHotels, usersById } from './directory.ts';
import type { Medium, Recipient, RecipientSpec } from './rules.ts';

/** Recipients a rule's specs resolve to, and why any could not be resolved. */
export interface Resolution {
  recipients: Recipient[];
  missing: string[];
}

/**
 * Resolves the recipient specs of several events against the directory with two queries in
 * all: users get their address from the event or the directory, `staffOf` expands to the
 * hotel's staff. A user who appears twice in one event (a staff member who is also the
 * guest) is notified once, on the union of the media.
 */
export async function resolveRecipients(
  db: Pick<pg.ClientBase, 'query'>,
  specsPerEvent: readonly (readonly RecipientSpec[])[],
): Promise<Resolution[]> {
  const all = specsPerEvent.flat();
  const [known, staff] = await Promise.all([
    usersById(db, [...new Set(all.flatMap((s) => ('user' in s ? [s.user] : [])))]),
    staffOfHotels(db, [...new Set(all.flatMap((s) => ('staffOf' in s ? [s.staffOf] : [])))]),
  ]);
  return specsPerEvent.map((specs) => resolveOne(specs, known, staff));
}

function resolveOne(
  specs: readonly RecipientSpec[],
  known: Map<string, DirectoryUser>,
  staff: Map<string, DirectoryUser[]>,
): Resolution {
  if (specs.length === 0) return { recipients: [], missing: ['the rule named no recipient'] };
  const missing: string[] = [];
  const byId = new Map<string, Recipient>();
  const add = (r: Recipient) => {
    const seen = byId.get(r.userId);
    if (!seen) byId.set(r.userId, r);
    else byId.set(r.userId, { ...seen, email: seen.email ?? r.email, media: union(seen.media, r.media) });
  };
  for (const spec of specs) {
    if ('user' in spec) {
      const d = known.get(spec.user);
      const email = spec.email ?? d?.email ?? null;
      if (spec.media.includes('email') && email === null) {
        missing.push(`user ${spec.user} has no known email address (no user.registered seen for them)`);
        continue;
      }
      add({
        userId: spec.user,
        email,
        name: spec.name ?? d?.name ?? null,
        locale: d?.locale ?? 'en',
        media: spec.media,
      });
    } else {
      const members = staff.get(spec.staffOf) ?? [];
      if (members.length === 0) {
        missing.push(
          `hotel ${spec.staffOf} has no known staff (user.registered with role STAFF and this hotelId)`,
        );
      }
      for (const s of members) {
        add({ userId: s.userId, email: s.email, name: s.name, locale: s.locale, media: spec.media });
      }
    }
  }
  return { recipients: [...byId.values()], missing };
}

function union(a: readonly Medium[], b: readonly Medium[]): Medium[] {
  return [...new Set([...a, ...b])];
}
