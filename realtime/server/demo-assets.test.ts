import { describe, expect, it } from 'vitest';
import { createDemoAssets } from './demo-assets.ts';

describe('demo assets', () => {
  it('serves the scripts that exist, and caches nothing for any other name', async () => {
    const assets = createDemoAssets();
    for (let i = 0; i < 2_000; i++) {
      expect(await assets.script(i % 2 ? 'client' : 'demo', `x-${i}.ts`)).toBeUndefined();
    }
    for (const name of ['../server/auth.ts', 'sequence-tracker.test.ts', 'index.html', 'Stream-Client.ts']) {
      expect(await assets.script('client', name)).toBeUndefined();
    }
    expect(assets.cached).toBe(0);
    expect(await assets.script('client', 'stream-client.ts')).toContain('createStreamClient');
    expect(await assets.script('demo', 'app.ts')).toContain('createStreamClient');
    expect(assets.cached).toBe(2);
  });
});
