import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Component } from '../../core/config.ts';
import { StackError } from '../../core/errors.ts';

/** The executables the local stack runs, found once. */
export interface Tools {
  /** `java` (≥ 17) for Kafka and Connect. */
  java?: string;
  /** A `java` ≥ 21 for Apicurio Registry 3.3 (without one, the registry falls back to 3.0.9 on 17). */
  java21?: string;
  mvn?: string;
  /** `flock` (util-linux): one Maven resolution at a time on a local repository. */
  flock?: string;
  /** Directory holding `initdb`, `pg_ctl`, `postgres`. */
  pgBin?: string;
  redisServer?: string;
  /** Debian's Chromium at /usr/bin/chromium: only the browser tests need it. */
  chromium?: string;
}

/** What needs the tools: a stack component, or the test suite's browser tests. */
export type ToolUser = Component | 'browser-tests';

const install = {
  java: 'apt-get install -y openjdk-17-jdk-headless',
  java21:
    'a JDK ≥ 21 (Temurin 21/25 under /usr/lib/jvm, or set OUTSTREAM_JAVA21_HOME); Debian 12 has none, Debian 13: apt-get install -y openjdk-21-jdk-headless',
  mvn: 'apt-get install -y maven',
  flock: 'apt-get install -y util-linux',
  pgBin: 'apt-get install -y postgresql',
  redisServer: 'apt-get install -y redis-server',
  chromium: 'apt-get install -y chromium',
} as const;

/** Finds every tool; none is required yet (external components need none). */
export function findTools(env: NodeJS.ProcessEnv = process.env): Tools {
  const javas = candidateJavas(env);
  const versioned = javas
    .map((bin) => ({ bin, version: javaVersion(bin) }))
    .filter((j): j is { bin: string; version: number } => j.version !== undefined);
  return {
    java: versioned.find((j) => j.version >= 17)?.bin,
    java21: versioned.find((j) => j.version >= 21)?.bin,
    mvn: which('mvn'),
    flock: which('flock'),
    pgBin: postgresBin(),
    redisServer: which('redis-server'),
    chromium: existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined,
  };
}

/** The missing tools the wanted users need, one line each with its install command. */
export function missingTools(tools: Tools, wanted: readonly ToolUser[]): string[] {
  const needs: Record<ToolUser, (keyof Tools)[]> = {
    postgres: ['pgBin'],
    redis: ['redisServer'],
    // The SMTP sink is a Node process of this repo: nothing to install.
    smtp: [],
    kafka: ['java', 'mvn', 'flock'],
    connect: ['java', 'mvn', 'flock'],
    registry: ['java', 'mvn', 'flock'],
    'browser-tests': ['chromium'],
  };
  const missing = [...new Set(wanted.flatMap((c) => needs[c]))].filter((k) => !tools[k]);
  return missing.map((k) => `${k}: install with: ${install[k]}`);
}

/** Throws one error naming every missing tool the wanted components need, with install commands. */
export function requireTools(
  tools: Tools,
  wanted: readonly Component[],
): Tools & Required<Omit<Tools, 'java21' | 'chromium'>> {
  const lines = missingTools(tools, wanted);
  if (lines.length > 0) {
    throw new StackError('prerequisites', `missing tools for the local stack:\n  ${lines.join('\n  ')}`);
  }
  return tools as Tools & Required<Omit<Tools, 'java21' | 'chromium'>>;
}

function candidateJavas(env: NodeJS.ProcessEnv): string[] {
  const homes = [env.OUTSTREAM_JAVA21_HOME, env.JAVA_HOME].filter((h): h is string => Boolean(h));
  const jvmDir = '/usr/lib/jvm';
  if (existsSync(jvmDir)) {
    // Newest first, so that java21 prefers e.g. temurin-25 over an older 21.
    const dirs = readdirSync(jvmDir)
      .map((d) => path.join(jvmDir, d))
      .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
    homes.push(...dirs);
  }
  const bins = homes.map((h) => path.join(h, 'bin', 'java')).filter((b) => existsSync(b));
  const onPath = which('java');
  // The PATH java first: it is what the user chose for Kafka and Connect.
  return [...new Set([...(onPath ? [onPath] : []), ...bins])];
}

function javaVersion(bin: string): number | undefined {
  // `java -version` prints to stderr.
  const out = spawnSync(bin, ['-XshowSettings:properties', '-version'], { encoding: 'utf8' });
  return parseJavaVersion(`${out.stdout ?? ''}${out.stderr ?? ''}`);
}

/** Major version from `java -XshowSettings:properties` output ("java.specification.version = 17"). */
export function parseJavaVersion(output: string): number | undefined {
  const m = /java\.specification\.version = (\d+)/.exec(output);
  return m ? Number(m[1]) : undefined;
}

function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = path.join(root, v, 'bin');
    if (existsSync(path.join(bin, 'initdb'))) return bin;
  }
  return undefined;
}

function which(cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
