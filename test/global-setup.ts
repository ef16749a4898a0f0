import { type Component, components, loadConfig } from '../core/config.ts';
import { setupPlatform } from '../infra/setup.ts';
import { stackDown, stackUp } from '../infra/stack/stack.ts';

/**
 * Brings the local stack up when it is not running (reusing a running one), applies
 * migrations, topics and the connector, and afterwards stops only what it started.
 */
export default async function setup() {
  const config = loadConfig(process.env);
  const log = (line: string) => console.log(`[stack] ${line}`);
  const outcomes = await stackUp(config, log);
  const started = components.filter((c: Component) => outcomes[c] === 'started');
  await setupPlatform(config, log);
  return async () => {
    if (started.length > 0) await stackDown(config, log, started);
  };
}
