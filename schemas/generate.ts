/**
 * CLI: regenerates `schemas/generated/events.ts` from `schemas/avro`.
 *
 *   npm run schemas:generate          write the file
 *   npm run schemas:check-generated   exit 1 if the checked-in file is stale (CI)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateEventsModule } from './codegen.ts';
import { loadSchemaFiles } from './schema-files.ts';

/** Path of the generated event map. */
export const generatedPath = join(import.meta.dirname, 'generated', 'events.ts');

/** Renders the event map from the `.avsc` files as they are now. */
export function renderGenerated(): string {
  return generateEventsModule(loadSchemaFiles());
}

function main(check: boolean): number {
  const shown = relative(process.cwd(), generatedPath);
  const next = renderGenerated();
  let current: string | undefined;
  try {
    current = readFileSync(generatedPath, 'utf8');
  } catch {
    current = undefined;
  }
  if (check) {
    if (current === next) {
      console.log(`${shown} is up to date`);
      return 0;
    }
    console.error(
      `${shown} is stale: it does not match schemas/avro. Run \`npm run schemas:generate\` and commit the result.`,
    );
    return 1;
  }
  if (current !== next) writeFileSync(generatedPath, next);
  console.log(current === next ? `${shown} is up to date` : `wrote ${shown}`);
  return 0;
}

if (import.meta.main) {
  try {
    process.exitCode = main(process.argv.includes('--check'));
  } catch (err) {
    console.error(`schemas:generate: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
