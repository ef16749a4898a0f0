import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { StackError } from '../../core/errors.ts';

const run = promisify(execFile);
const poms = path.join(import.meta.dirname, 'maven');

/** A registry distribution, resolved as one archive (not a dependency tree). */
export interface ApicurioDistribution {
  version: string;
  artifact: string;
  /** The jar `java -jar` runs, found inside the unpacked archive. */
  jar: string;
  /** Its database: Apicurio migrates its tables forward only, so each line keeps its own. */
  database: string;
  minJava: number;
}

/**
 * Apicurio Registry 3.3.3 needs Java ≥ 21; on a machine with only Java 17 the stack falls
 * back to 3.0.9 (same Confluent API, verified here) and says so.
 */
export const apicurio = {
  current: {
    version: '3.3.3',
    artifact: 'io.apicurio:apicurio-registry-app:3.3.3:tar.gz:all',
    jar: 'quarkus-run.jar',
    database: 'outstream_registry',
    minJava: 21,
  },
  java17: {
    version: '3.0.9',
    artifact: 'io.apicurio:apicurio-registry-app:3.0.9:tar.gz:all',
    jar: 'apicurio-registry-app-3.0.9-runner.jar',
    database: 'outstream_registry_3_0',
    minJava: 17,
  },
} as const satisfies Record<string, ApicurioDistribution>;

/**
 * Copies the runtime jars of `infra/stack/maven/<name>/pom.xml` into `dir`. A stamp file
 * holding the POM's hash makes a warm start skip Maven entirely (no network, no JVM).
 */
export async function resolveJars(name: 'kafka' | 'connect' | 'debezium', dir: string): Promise<string> {
  const pom = path.join(poms, name, 'pom.xml');
  const stamp = path.join(dir, '.resolved');
  const hash = createHash('sha256').update(readFileSync(pom)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await mvn(name, [
    '-f',
    pom,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${dir}`,
  ]);
  if (readdirSync(dir).filter((f) => f.endsWith('.jar')).length === 0) {
    throw new StackError(name, `Maven resolved no jars from ${pom}`);
  }
  writeFileSync(stamp, hash);
  return dir;
}

/** Unpacks an Apicurio Registry distribution into `dir` (once) and returns the path of its jar. */
export async function resolveRegistry(dir: string, dist: ApicurioDistribution): Promise<string> {
  const stamp = path.join(dir, '.resolved');
  if (!(existsSync(stamp) && readFileSync(stamp, 'utf8') === dist.artifact)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // Copied, then untarred with tar(1): Maven's own unpacker turns PAX headers into folders.
    await mvn('registry', ['dependency:copy', `-Dartifact=${dist.artifact}`, `-DoutputDirectory=${dir}`]);
    const archive = readdirSync(dir).find((f) => f.endsWith('.tar.gz'));
    if (!archive) throw new StackError('registry', `Maven copied no archive for ${dist.artifact}`);
    await run('tar', ['-xzf', archive], { cwd: dir });
    rmSync(path.join(dir, archive));
    writeFileSync(stamp, dist.artifact);
  }
  const jar = findFile(dir, dist.jar);
  if (!jar) throw new StackError('registry', `no ${dist.jar} in the unpacked ${dist.artifact}`);
  return jar;
}

function findFile(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name === name) return full;
    if (entry.isDirectory()) {
      const found = findFile(full, name);
      if (found) return found;
    }
  }
  return undefined;
}

async function mvn(component: string, args: string[]): Promise<void> {
  try {
    // -B: no colours or progress bars in logs; -q: only errors. Run outside the checkout: goals
    // without a POM leave marker files in their working directory.
    await run('mvn', ['-B', '-q', ...args], { cwd: os.tmpdir(), maxBuffer: 16 * 1024 * 1024 });
  } catch (e) {
    const out = e as { stdout?: string; stderr?: string };
    const detail = `${out.stdout ?? ''}${out.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new StackError(component, `Maven could not resolve its artifacts:\n${detail}`, { cause: e });
  }
}
