import { describe, expect, it } from 'vitest';
import { shutdownOnSignals } from './shutdown.ts';

describe('shutdownOnSignals', () => {
  it('stops every target on the first signal, exits 0, and exits 1 at once on a second', async () => {
    const stopped: string[] = [];
    const exits: number[] = [];
    let release!: () => void;
    const slow = {
      stop: () => new Promise<void>((r) => (release = r)).then(() => void stopped.push('slow')),
    };
    const quick = { stop: async () => void stopped.push('quick') };
    const dispose = shutdownOnSignals([slow, quick], { signals: ['SIGUSR2'], exit: (c) => exits.push(c) });
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      await new Promise((r) => setImmediate(r));
      expect(stopped).toEqual(['quick']);
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(exits).toEqual([1]);
      release();
      await new Promise((r) => setTimeout(r, 10));
      expect(stopped).toEqual(['quick', 'slow']);
      expect(exits).toEqual([1, 0]);
    } finally {
      dispose();
    }
  });

  it('exits 1 when a target fails to stop', async () => {
    const exits: number[] = [];
    const dispose = shutdownOnSignals([{ stop: async () => Promise.reject(new Error('stuck')) }], {
      signals: ['SIGUSR2'],
      exit: (c) => exits.push(c),
    });
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 10));
      expect(exits).toEqual([1]);
    } finally {
      dispose();
    }
  });
});
