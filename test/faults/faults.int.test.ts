import { describe, expect, it } from 'vitest';
import { runShortForm } from './short-form.ts';

// The short form of `npm run test:faults` (test/faults/README.md), part of `npm test`: a whole
// private stack (ports shifted 5000 from the suite's), the platform as `npm start` runs it,
// SSE clients connected and steady emit() load, then three faults one at a time. Every wait
// is a deadline on a condition; the whole file takes about 4 minutes on a 2-core machine.
describe('the platform under faults (short form of npm run test:faults)', () => {
  it('kill -9 of Connect, of a consumer group and of the gateway: nothing lost, counted once, delivered once, no dead letter, serving again within 60 s', {
    timeout: 600_000,
  }, async () => {
    const results = await runShortForm('faults', {
      faults: ['connect', 'notifications', 'gateway'],
      rate: 100,
      clients: 8,
      hotels: 3,
      roomsPerHotel: 4,
      eventsAround: 800,
      holdMs: 3_000,
      recoveryTimeoutMs: 90_000,
      drainTimeoutMs: 90_000,
    });
    // The faults did happen: Connect republished, the gateway's clients reconnected.
    expect(
      results.find((r) => r.fault === 'kill -9 gateway')!.browser.stats.reconnects,
    ).toBeGreaterThanOrEqual(8);
  });
});
