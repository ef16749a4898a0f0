/**
 * CLI: generates the AsyncAPI document `schemas/asyncapi/asyncapi.yaml`.
 *
 *   npm run asyncapi          write the file
 *   npm run asyncapi:check    exit 1 if the checked-in file is stale (CI)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { asyncApiDocument } from './document.ts';
import { renderYaml } from './render.ts';
import { repoSources } from './sources.ts';

/** Path of the checked-in document. */
export const documentPath = join(import.meta.dirname, 'asyncapi.yaml');

const usage = `Usage: npm run asyncapi [-- --check]

Generates the AsyncAPI 3 document of Outstream's Kafka topics and SSE channels from the event
catalogue and Avro schemas, infra/topics, the connector's envelope headers and the realtime
route table, into ${relative(process.cwd(), documentPath)}.

  --check   write nothing; exit 1 if the checked-in document is stale
  --help    this text`;

/** The document as the sources say it should be now. */
export function renderDocument(): string {
  return renderYaml(asyncApiDocument(repoSources()));
}

/**
 * Writes `path` with `next` (or, with `check`, only compares) and says what it did.
 * Returns the exit code: 1 when `check` finds the file stale or missing.
 */
export function syncDocument(
  path: string,
  next: string,
  check: boolean,
  out: Pick<Console, 'log' | 'error'> = console,
): number {
  const shown = relative(process.cwd(), path);
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === next) {
    out.log(`${shown} is up to date`);
    return 0;
  }
  if (check) {
    out.error(
      `${shown} is ${current === undefined ? 'missing' : 'stale'}: it does not match the event catalogue, infra/topics and the realtime routes. Run \`npm run asyncapi\` and commit the result.`,
    );
    return 1;
  }
  writeFileSync(path, next);
  out.log(`wrote ${shown}`);
  return 0;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--check' && a !== '--help' && a !== '-h');
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
  } else if (unknown.length > 0) {
    console.error(`asyncapi: unknown argument ${unknown[0]}\n\n${usage}`);
    process.exitCode = 2;
  } else {
    try {
      process.exitCode = syncDocument(documentPath, renderDocument(), args.includes('--check'));
    } catch (err) {
      console.error(`asyncapi: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
  }
}
