import { loadConfig } from '../../core/config.ts';
import { isOutstreamError } from '../../core/errors.ts';
import { createSchemaRegistry } from '../../core/schema-registry.ts';
import { catalogueSchemas, checkSchemas, listSubjects, registerSchemas } from './governance.ts';

const usage = `usage: npm run schemas -- <command>
  register   register every schema of schemas/catalogue.ts under its subject (idempotent),
             setting each subject's compatibility level first
  check      check every local schema against the registry's latest version under the
             subject's level; exits 1 on an incompatible change (for a service's CI)
  list       every subject of the registry: compatibility level, versions, latest id`;

async function main(command: string | undefined): Promise<number> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(usage);
    return 0;
  }
  const config = loadConfig(process.env);
  const registry = createSchemaRegistry({ url: config.registry.url });
  if (command === 'register') {
    for (const r of await registerSchemas(registry, catalogueSchemas())) {
      const level = r.compatibilitySet ? ' (compatibility level set)' : '';
      console.log(`${r.change.padEnd(12)} id ${String(r.id).padEnd(5)} ${r.subject}${level}`);
    }
    return 0;
  }
  if (command === 'list') {
    for (const s of await listSubjects(registry)) {
      const level = `${s.level ?? '-'}${s.inherited ? ' (global)' : ''}`;
      const mark = s.inCatalogue ? '' : '  (not in the catalogue)';
      console.log(
        `${s.subject}  ${level}  versions ${s.versions.join(',') || '-'}  latest id ${s.latestId ?? '-'}${mark}`,
      );
    }
    return 0;
  }
  if (command === 'check') {
    const results = await checkSchemas(registry, catalogueSchemas());
    for (const r of results) {
      console.log(`${r.status.padEnd(12)} ${r.level.padEnd(9)} ${r.subject}`);
      if (r.explanation) console.log(`    ${r.explanation.replaceAll('\n', '\n    ')}`);
    }
    const bad = results.filter((r) => r.status === 'incompatible');
    if (bad.length > 0) {
      console.error(
        `\n${bad.length} incompatible schema change(s): add fields with defaults, never remove or retype one`,
      );
      return 1;
    }
    return 0;
  }
  console.error(usage);
  return 2;
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(isOutstreamError(e) ? e.message : e);
    process.exit(1);
  },
);
