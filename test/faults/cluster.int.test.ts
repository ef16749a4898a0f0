import { describe, expect, it } from 'vitest';
import { details, problems, table } from './report.ts';
import { runFaultSuite } from './suite.ts';

// The short form of `npm run test:cluster` (test/faults/README.md), part of `npm test`: a whole
// private stack with three KRaft nodes (ports shifted 11000 from the suite's; no other test
// uses that offset), `npm start --members 2 --gateways 2`, SSE clients spread over both nodes,
// steady emit() load; then the busiest leader broker, one member of each group and one gateway
// node are killed, one at a time. Every wait is a deadline on a condition.
describe('the platform on a three-broker cluster under faults (short form of npm run test:cluster)', () => {
  it('kill -9 of the busiest leader broker, of one member per group and of one gateway node: nothing lost, counted once, delivered once, clients resume on the other node', {
    timeout: 600_000,
  }, async () => {
    const results = await runFaultSuite({
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
      keep: false,
      log: (line) => console.log(`[cluster] ${line}`),
      onPhase: (r) => console.log(details(r)),
    });
    console.log(table(results));
    expect(results.map((r) => ({ fault: r.fault, problems: problems(r) }))).toEqual(
      results.map((r) => ({ fault: r.fault, problems: [] })),
    );
    expect(results.every((r) => r.events > 0)).toBe(true);
    // The clients of the killed node (half of them) moved to the other one.
    expect(
      results.find((r) => r.fault === 'kill -9 one gateway node')!.browser.stats.failovers,
    ).toBeGreaterThanOrEqual(4);
    expect(Object.values(results[0]!.protocols).every((p) => p === 'classic' || p === 'consumer')).toBe(true);
  });
});
