/**
 * What the platform must have done with a set of committed events (pure: no I/O). The
 * committed events come from the outbox rows the run retained, decoded.
 */

/** One committed event of the run, as the outbox holds it. */
export interface CommittedEvent {
  id: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  sequence: number;
  /** The hotel in the payload (null for events of no hotel). */
  hotelId: string | null;
  /** booking.*: the guest. */
  guestId?: string;
  /** user.registered: the new user and their role. */
  userId?: string;
  role?: string;
  /** booking.confirmed: totalAmount; booking.checked_out: finalAmount (decimal text). */
  amount?: string;
  /** Which phase of the run committed it (the suite's index). */
  phase: number;
}

/** The inbox rows an event must produce: one per recipient. */
export function inboxRecipients(
  e: CommittedEvent,
  staffOf: ReadonlyMap<string, readonly string[]>,
): string[] {
  if (e.type === 'booking.created') return [...(staffOf.get(e.hotelId ?? '') ?? [])];
  if (e.type === 'booking.confirmed') return e.guestId ? [e.guestId] : [];
  if (e.type === 'user.registered') return e.userId ? [e.userId] : [];
  return [];
}

/** How many emails an event must produce (booking confirmations and welcomes, one each). */
export function emailsOf(e: CommittedEvent): number {
  return e.type === 'booking.confirmed' || e.type === 'user.registered' ? 1 : 0;
}

/** The realtime channels an event reaches, among those the suite's clients subscribe to. */
export function channelsOf(e: CommittedEvent): string[] {
  return e.hotelId === null ? [] : [`hotel:${e.hotelId}`];
}

/** Expected analytics figures of one hotel: counts by event type, funnel and revenue (cents). */
export interface HotelTotals {
  events: Record<string, number>;
  funnel: { created: number; confirmed: number; checked_in: number; checked_out: number };
  bookedCents: bigint;
  settledCents: bigint;
}

/** Decimal text ("361.50") to cents, exactly. */
export function cents(amount: string): bigint {
  const [whole, frac = ''] = amount.split('.');
  const sign = whole!.startsWith('-') ? -1n : 1n;
  return sign * (BigInt(whole!.replace('-', '')) * 100n + BigInt(frac.padEnd(2, '0').slice(0, 2)));
}

/** Cents back to decimal text with two places. */
export function fromCents(c: bigint): string {
  const sign = c < 0n ? '-' : '';
  const a = c < 0n ? -c : c;
  return `${sign}${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
}

const funnelStage: Record<string, keyof HotelTotals['funnel']> = {
  'booking.created': 'created',
  'booking.confirmed': 'confirmed',
  'booking.checked_in': 'checked_in',
  'booking.checked_out': 'checked_out',
};

/** A hotel's totals before any event. */
export function emptyTotals(): HotelTotals {
  return {
    events: {},
    funnel: { created: 0, confirmed: 0, checked_in: 0, checked_out: 0 },
    bookedCents: 0n,
    settledCents: 0n,
  };
}

/** The analytics totals the committed events add up to, per hotel. */
export function expectedTotals(events: readonly CommittedEvent[]): Map<string, HotelTotals> {
  const out = new Map<string, HotelTotals>();
  for (const e of events) {
    if (e.hotelId === null) continue;
    let t = out.get(e.hotelId);
    if (!t) {
      t = emptyTotals();
      out.set(e.hotelId, t);
    }
    t.events[e.type] = (t.events[e.type] ?? 0) + 1;
    const stage = funnelStage[e.type];
    if (stage) t.funnel[stage]++;
    if (e.type === 'booking.confirmed' && e.amount) t.bookedCents += cents(e.amount);
    if (e.type === 'booking.checked_out' && e.amount) t.settledCents += cents(e.amount);
  }
  return out;
}

/** One analytics figure that differs: expected minus held (`gap`), in counts or cents. */
export interface TotalsGap {
  expected: string;
  got: string;
  gap: bigint;
}

/**
 * Every figure that differs between what the committed events add up to and what analytics
 * holds, keyed by a readable name (`hotel h1 booked`).
 */
export function totalsGaps(
  expected: Map<string, HotelTotals>,
  actual: Map<string, HotelTotals>,
): Map<string, TotalsGap> {
  const out = new Map<string, TotalsGap>();
  const count = (key: string, want: number, got: number) => {
    if (want !== got) out.set(key, { expected: String(want), got: String(got), gap: BigInt(want - got) });
  };
  const money = (key: string, want: bigint, got: bigint) => {
    if (want !== got) out.set(key, { expected: fromCents(want), got: fromCents(got), gap: want - got });
  };
  for (const hotel of new Set([...expected.keys(), ...actual.keys()])) {
    const e = expected.get(hotel) ?? emptyTotals();
    const a = actual.get(hotel) ?? emptyTotals();
    for (const type of new Set([...Object.keys(e.events), ...Object.keys(a.events)]))
      count(`hotel ${hotel} ${type} events`, e.events[type] ?? 0, a.events[type] ?? 0);
    for (const stage of Object.keys(e.funnel) as (keyof HotelTotals['funnel'])[])
      count(`hotel ${hotel} funnel ${stage}`, e.funnel[stage], a.funnel[stage]);
    money(`hotel ${hotel} booked`, e.bookedCents, a.bookedCents);
    money(`hotel ${hotel} settled`, e.settledCents, a.settledCents);
  }
  return out;
}

/** {@link totalsGaps} as lines: `hotel h1 booked: expected 120.50, got 100.00`. */
export function totalsDiff(expected: Map<string, HotelTotals>, actual: Map<string, HotelTotals>): string[] {
  return [...totalsGaps(expected, actual)].map(([k, g]) => `${k}: expected ${g.expected}, got ${g.got}`);
}

/**
 * The gaps that changed since `before` (a later phase must not be blamed for a gap an earlier
 * one left, and a gap that grew is new), as lines.
 */
export function newGaps(now: Map<string, TotalsGap>, before: ReadonlyMap<string, TotalsGap>): string[] {
  return [...now]
    .filter(([k, g]) => g.gap !== (before.get(k)?.gap ?? 0n))
    .map(
      ([k, g]) =>
        `${k}: expected ${g.expected}, got ${g.got}${before.has(k) ? ` (gap was ${before.get(k)!.gap})` : ''}`,
    );
}
