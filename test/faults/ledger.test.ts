import { describe, expect, it } from 'vitest';
import { createLedger } from './ledger.ts';

const rec = (eventId: string, sequence: number, aggregate = 'events.room/r1') => ({
  eventId,
  aggregate,
  sequence,
});

describe('the Kafka ledger of the fault suite', () => {
  it('counts committed events that never appear as lost, and extra copies apart', () => {
    const ledger = createLedger();
    ledger.add([rec('a', 1), rec('b', 2), rec('a', 1)]);
    expect(ledger.tally(['a', 'b', 'c'])).toEqual({ lost: 1, lostSample: ['c'], copies: 1 });
  });

  it('removes duplicates by event id before checking order, across several reads', () => {
    const ledger = createLedger();
    ledger.add([rec('a', 1), rec('b', 2)]);
    // A republished stretch (Connect restarted from an older offset), then the next event.
    ledger.add([rec('a', 1), rec('b', 2), rec('c', 3)]);
    expect(ledger.violations()).toEqual([]);
    expect(ledger.has('c')).toBe(true);
  });

  it('reports a new event that comes after a higher sequence of its aggregate, per aggregate', () => {
    const ledger = createLedger();
    ledger.add([rec('a', 1), rec('c', 3), rec('b', 2), rec('x', 1, 'events.room/r2')]);
    expect(ledger.violations()).toEqual(['events.room/r1: sequence 2 after 3 (b)']);
  });
});
