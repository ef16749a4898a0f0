import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { StackError } from '../../core/errors.ts';

const run = promisify(execFile);
const poms = path.join(import.meta.dirname, 'maven');

/**
 * Pinned: Maven 3.8's default (2.8) copies jars without waiting for a concurrent download of
 * the same file ("Failed to copy full contents"), and a pin makes every machine run the same.
 */
const dependencyPlugin = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

/** Seconds a resolution waits for another one (this or another checkout's) to finish. */
const lockWaitS = 900;

/** Where Maven runs: its local repository (default `~/.m2/repository`). */
export interface MavenOptions {
  /** `-Dmaven.repo.local`: e.g. an empty folder, to prove a cold machine can resolve everything. */
  repoLocal?: string;
}

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
export async function resolveJars(
  name: 'kafka' | 'connect' | 'debezium',
  dir: string,
  maven: MavenOptions = {},
): Promise<string> {
  const pom = path.join(poms, name, 'pom.xml');
  const stamp = path.join(dir, '.resolved');
  const hash = createHash('sha256').update(readFileSync(pom)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return dir;
  await mvn(name, maven, dir, [
    '-f',
    pom,
    `${dependencyPlugin}:copy-dependencies`,
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
export async function resolveRegistry(
  dir: string,
  dist: ApicurioDistribution,
  maven: MavenOptions = {},
): Promise<string> {
  const stamp = path.join(dir, '.resolved');
  if (!(existsSync(stamp) && readFileSync(stamp, 'utf8') === dist.artifact)) {
    // Copied, then untarred with tar(1): Maven's own unpacker turns PAX headers into folders.
    await mvn('registry', maven, dir, [
      `${dependencyPlugin}:copy`,
      `-Dartifact=${dist.artifact}`,
      `-DoutputDirectory=${dir}`,
    ]);
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

/** The local repository Maven uses with these options. */
export function mavenRepository(maven: MavenOptions): string {
  return maven.repoLocal ?? path.join(os.homedir(), '.m2', 'repository');
}

/**
 * Runs one Maven resolution into a fresh `outDir`. Resolutions never overlap on one local
 * repository: the stack starts components in parallel, and two Maven processes on a cold
 * repository copy jars the other is still downloading. flock(1) holds a kernel lock on a file
 * in the repository for the run (released even when the process is killed), so this holds
 * across processes and checkouts too. A failure (a dropped download, a truncated copy) is
 * retried once before it is reported, naming the component.
 */
async function mvn(component: string, maven: MavenOptions, outDir: string, args: string[]): Promise<void> {
  const repo = mavenRepository(maven);
  mkdirSync(repo, { recursive: true });
  const lock = path.join(repo, '.outstream-resolve.lock');
  // -B: no colours or progress bars in logs; -q: only errors.
  const mvnArgs = [
    '-B',
    '-q',
    ...(maven.repoLocal ? [`-Dmaven.repo.local=${maven.repoLocal}`] : []),
    ...args,
  ];
  let failure: unknown;
  for (let attempt = 1; attempt <= 2; attempt++) {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    try {
      // Run outside the checkout: goals without a POM leave marker files in their directory.
      await run('flock', ['-w', String(lockWaitS), lock, 'mvn', ...mvnArgs], {
        cwd: os.tmpdir(),
        maxBuffer: 16 * 1024 * 1024,
      });
      return;
    } catch (e) {
      failure = e;
    }
  }
  const out = failure as { stdout?: string; stderr?: string };
  const detail = `${out.stdout ?? ''}${out.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
  throw new StackError(component, `Maven could not resolve its artifacts (tried twice):\n${detail}`, {
    cause: failure,
  });
}
