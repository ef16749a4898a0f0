import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * `parseArgs` for a command's entry point: `--help`/`-h` prints the usage and exits 0; an
 * unknown or malformed flag prints what is wrong and the usage, and exits 2 (a usage error),
 * instead of a stack trace.
 *
 * @example
 * const { values } = parseCli({ options: { hotel: { type: 'string' } } }, usage);
 */
export function parseCli<T extends ParseArgsConfig>(
  config: T,
  usage: string,
): ReturnType<typeof parseArgs<T>> {
  const args = config.args ?? process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (e) {
    // Node's messages add a hint about `--` that only confuses: keep the first sentence.
    console.error(`${(e as Error).message.split('. ')[0]}\n${usage}`);
    process.exit(2);
  }
}
