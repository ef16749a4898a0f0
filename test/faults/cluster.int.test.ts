import { describe, expect, it } from 'vitest';
import { runShortForm } from './short-form.ts';

// The short form of `npm run test:cluster` (test/faults/README.md): a whole
// private stack with three KRaft nodes (ports shifted 11000 from the suite's; no other test
// uses that offset), `npm start --members 2 --gateways 2`, SSE clients on both gateway nodes,
// steady emit() load; then the busiest leader broker, one member of each group and one gateway
// node are killed, one at a time. Every wait is a deadline on a condition.
//
// Part of `npm test` since the two causes of its earlier failures were fixed (2026-11-30):
// Connect's worker waited on the killed broker for 60 s (its request and API timeouts, now 10
// and 15 s) and a restarted member left an abandoned member id behind (joins are now retried
// by the same client). After the first fix the broker fault passed in both runs (pauses 22–28 s);
// after the second, all three faults passed, in 5–10 min (test/faults/README.md).
describe('the platform on a three-broker cluster under faults (short form of npm run test:cluster)', () => {
  it('kill -9 of the busiest leader broker, of one member per group and of one gateway node: nothing lost, counted once, delivered once, clients resume on the other node', {
    timeout: 900_000,
  }, async () => {
    const results = await runShortForm('cluster', {
      faults: ['broker-leader', 'members', 'gateway-node'],
      kafkaNodes: 3,
      members: 2,
      gateways: 2,
      step: 11_000,
      rate: 50,
      clients: 8,
      hotels: 3,
      roomsPerHotel: 4,
      eventsAround: 400,
      holdMs: 3_000,
      recoveryTimeoutMs: 90_000,
      drainTimeoutMs: 90_000,
    });
    // The clients of the killed node (half of them) resumed on the other one.
    expect(
      results.find((r) => r.fault === 'kill -9 one gateway node')!.browser.stats.failovers,
    ).toBeGreaterThanOrEqual(4);
    expect(Object.values(results[0]!.protocols).every((p) => p === 'classic' || p === 'consumer')).toBe(true);
  });
});
