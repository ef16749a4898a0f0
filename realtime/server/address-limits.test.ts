import { describe, expect, it } from 'vitest';
import { AddressLimits } from './address-limits.ts';

describe('AddressLimits', () => {
  it('holds at most max slots per address, and forgets an address once it holds none', () => {
    const limits = new AddressLimits(2);
    expect([limits.acquire('a'), limits.acquire('a'), limits.acquire('a')]).toEqual([true, true, false]);
    expect(limits.acquire('b')).toBe(true);
    limits.release('a');
    expect(limits.acquire('a')).toBe(true);
    for (let i = 0; i < 3; i++) limits.release('a');
    limits.release('b');
    expect(limits.addresses).toBe(0);
    expect(limits.count('a')).toBe(0);
  });
});
