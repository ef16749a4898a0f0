import { components, loadConfig } from '../core/config.ts';
import { isOutstreamError } from '../core/errors.ts';
import { findTools, missingTools } from '../infra/stack/prerequisites.ts';

/**
 * The first step of `npm test`: every tool the suite needs on this machine — those of the
 * local stack's components (not of external ones) and Debian's Chromium for the browser
 * tests — or one line per missing tool with its install command, and exit 1 before anything
 * else runs.
 */
function main(): number {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(
      'usage: node test/prerequisites.ts\n  checks the tools npm test needs (the local stack, Chromium); exit 1 naming what is missing',
    );
    return 0;
  }
  const config = loadConfig(process.env);
  const local = components.filter((c) => !config.stack.external[c]);
  const missing = missingTools(findTools(), [...local, 'browser-tests']);
  for (const line of missing) console.error(`npm test needs ${line}`);
  return missing.length > 0 ? 1 : 0;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(isOutstreamError(e) ? e.message : e);
  process.exitCode = 1;
}
