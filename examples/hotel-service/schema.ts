import type pg from 'pg';

/**
 * The example service's own tables, in its own schema. A real service has migrations; the
 * example creates what it needs on start so that `npm run demo` works on any stack.
 */
export async function ensureSchema(db: Pick<pg.ClientBase, 'query'>): Promise<void> {
  await db.query(`
    CREATE SCHEMA IF NOT EXISTS hotel_demo;
    CREATE TABLE IF NOT EXISTS hotel_demo.users (
      id uuid PRIMARY KEY, email text NOT NULL, name text NOT NULL, role text NOT NULL, hotel_id text);
    CREATE TABLE IF NOT EXISTS hotel_demo.rooms (
      id text PRIMARY KEY, hotel_id text NOT NULL, number text NOT NULL, status text NOT NULL,
      occupants integer NOT NULL DEFAULT 0, booking_id uuid);
    CREATE TABLE IF NOT EXISTS hotel_demo.bookings (
      id uuid PRIMARY KEY, reference text NOT NULL UNIQUE, hotel_id text NOT NULL, guest_id uuid NOT NULL,
      status text NOT NULL, check_in date NOT NULL, check_out date NOT NULL, party_size integer NOT NULL,
      total numeric(12,2) NOT NULL, currency char(3) NOT NULL, room_id text,
      updated_at timestamptz NOT NULL DEFAULT now());
    CREATE SEQUENCE IF NOT EXISTS hotel_demo.booking_ref;
  `);
}
