import { describe, expect, it } from 'vitest';
import { ErrorCode, isOutstreamError } from '../../core/errors.ts';
import { registryDistribution, registryJdbc } from './components/registry.ts';
import { missingTools, parseJavaVersion, requireTools } from './prerequisites.ts';

describe('prerequisites', () => {
  it('reads the major version from java -XshowSettings output', () => {
    expect(parseJavaVersion('    java.specification.version = 17\n')).toBe(17);
    expect(parseJavaVersion('    java.specification.version = 25\n')).toBe(25);
    expect(parseJavaVersion('garbage')).toBeUndefined();
  });

  it('names each missing tool with its install command, only for the components wanted', () => {
    expect(() => requireTools({ pgBin: '/usr/lib/postgresql/15/bin' }, ['postgres'])).not.toThrow();
    let error: unknown;
    try {
      requireTools({}, ['kafka', 'redis']);
    } catch (e) {
      error = e;
    }
    expect(isOutstreamError(error, ErrorCode.stack)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('apt-get install -y maven');
    expect(message).toContain('apt-get install -y redis-server');
    expect(message).not.toContain('postgresql');
  });

  it('asks for Chromium only for the browser tests, and flock wherever Maven resolves jars', () => {
    expect(missingTools({ chromium: '/usr/bin/chromium' }, ['browser-tests'])).toEqual([]);
    expect(missingTools({}, ['browser-tests'])).toEqual([
      'chromium: install with: apt-get install -y chromium',
    ]);
    expect(missingTools({ java: 'j', mvn: 'm' }, ['connect'])).toEqual([
      'flock: install with: apt-get install -y util-linux',
    ]);
  });

  it('runs Apicurio 3.3.3 with Java 21+, else falls back to 3.0.9 on its own database', () => {
    expect(registryDistribution({ java21: '/usr/lib/jvm/temurin-25/bin/java' }).version).toBe('3.3.3');
    const fallback = registryDistribution({});
    expect(fallback).toMatchObject({ version: '3.0.9', minJava: 17 });
    expect(fallback.database).not.toBe(registryDistribution({ java21: 'x' }).database);
  });

  it('derives the registry JDBC settings from DATABASE_URL', () => {
    expect(registryJdbc('postgres://u:p%40ss@db.example:6543/app')).toEqual({
      url: 'jdbc:postgresql://db.example:6543/outstream_registry',
      user: 'u',
      password: 'p@ss',
    });
  });
});
