import { loadConfig } from '../core/config.ts';
import { isOutstreamError } from '../core/errors.ts';
import { setupPlatform } from './setup.ts';
import { stackUp } from './stack/stack.ts';

// `npm start`: the stack (reused when running), then migrations, topics and the connector.
// The stack keeps running after this exits; `npm run stack:down` stops it.
async function main() {
  const config = loadConfig(process.env);
  const log = (line: string) => console.log(line);
  const started = Date.now();
  await stackUp(config, (l) => log(`[stack] ${l}`));
  await setupPlatform(config, (l) => log(`[setup] ${l}`));
  log(
    `platform ready in ${((Date.now() - started) / 1000).toFixed(1)} s — connection settings: npm run -s stack:env`,
  );
}

main().catch((e: unknown) => {
  console.error(isOutstreamError(e) ? e.message : e);
  process.exit(1);
});
