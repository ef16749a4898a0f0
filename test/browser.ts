import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium: browser tests never download a browser of their own. */
export const chromiumPath = '/usr/bin/chromium';

/**
 * Launches Debian's headless Chromium with flags that keep it off the network (this
 * machine's closed network refuses its background connections) and work as root.
 * `npm test` checks first that it is installed (test/prerequisites.ts).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
