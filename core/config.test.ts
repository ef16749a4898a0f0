import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configToEnv, loadConfig, localPorts, localUrls } from './config.ts';
import { ErrorCode, isOutstreamError } from './errors.ts';

describe('loadConfig', () => {
  it('defaults to the local stack, every component local', () => {
    const c = loadConfig({}, '/repo');
    expect(c.kafka.brokers).toEqual([localUrls.KAFKA_BROKERS]);
    expect(c.database.url).toBe(localUrls.DATABASE_URL);
    expect(c.stack.dir).toBe('/repo/.stack');
    expect(Object.values(c.stack.external).every((x) => x === false)).toBe(true);
  });

  it('treats a URL that differs from the local one as external, and the printed local one as local', () => {
    const c = loadConfig({
      KAFKA_BROKERS: 'k1:9092,k2:9092',
      DATABASE_URL: localUrls.DATABASE_URL,
      REDIS_URL: '',
    });
    expect(c.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(c.stack.external).toMatchObject({ kafka: true, postgres: false, redis: false });
  });

  it('round-trips through the KEY=value lines stack:env prints', () => {
    const lines = configToEnv(loadConfig({}));
    const env = Object.fromEntries(lines.split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
    expect(Object.values(loadConfig(env).stack.external).some(Boolean)).toBe(false);
  });

  it('shifts every local port by OUTSTREAM_PORT_OFFSET, so two checkouts can run two stacks', () => {
    const c = loadConfig({ OUTSTREAM_PORT_OFFSET: '1000' });
    expect(c.stack.ports.kafka).toBe(localPorts.kafka + 1000);
    expect(c.kafka.brokers).toEqual([`127.0.0.1:${localPorts.kafka + 1000}`]);
    expect(c.database.url).toContain(`:${localPorts.postgres + 1000}/`);
    expect(c.sse.port).toBe(localPorts.sse + 1000);
    expect(Object.values(c.stack.external).some(Boolean)).toBe(false);
  });

  it('keeps every default port below the ephemeral range, and refuses an offset that moves one into it', () => {
    for (const port of Object.values(localPorts)) expect(port).toBeLessThan(32768);
    const shifted = loadConfig({ OUTSTREAM_PORT_OFFSET: '13000' }).stack.ports;
    for (const port of Object.values(shifted)) expect(port).toBeLessThan(32768);
    expect(() => loadConfig({ OUTSTREAM_PORT_OFFSET: '14000' })).toThrow(/OUTSTREAM_PORT_OFFSET.*≤ 32767/);
    expect(() => loadConfig({ OUTSTREAM_PORT_OFFSET: '-15000' })).toThrow(/OUTSTREAM_PORT_OFFSET.*≥ 1024/);
  });

  it('names every bad variable in one typed error', () => {
    let error: unknown;
    try {
      loadConfig({ KAFKA_BROKERS: 'no-port', DATABASE_URL: 'not a url', SSE_PORT: '70000' });
    } catch (e) {
      error = e;
    }
    expect(isOutstreamError(error, ErrorCode.config)).toBe(true);
    const message = (error as Error).message;
    for (const key of ['KAFKA_BROKERS', 'DATABASE_URL', 'SSE_PORT']) expect(message).toContain(key);
  });

  it('points mail at SMTP_URL (smtp:// or smtps://); the local SMTP sink is external only when it differs', () => {
    expect(loadConfig({}).smtp).toEqual({ url: localUrls.SMTP_URL, sinkUrl: localUrls.SMTP_SINK_URL });
    expect(loadConfig({ SMTP_URL: localUrls.SMTP_URL }).stack.external.smtp).toBe(false);
    const real = loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.com:465' });
    expect([real.smtp.url, real.stack.external.smtp]).toEqual(['smtps://u:p@mail.example.com:465', true]);
    expect(() => loadConfig({ SMTP_URL: 'http://mail.example.com' })).toThrow(
      /SMTP_URL must be smtp:\/\/ or smtps:\/\//,
    );
  });

  it('reads the stack profile: three Kafka nodes, topics replicated three times with two in sync', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'outstream-profile-'));
    expect(loadConfig({ OUTSTREAM_STACK_DIR: dir }).kafka.replication).toEqual({ factor: 1, minInsync: 1 });
    writeFileSync(path.join(dir, 'profile.json'), JSON.stringify({ kafkaNodes: 3 }));
    const c = loadConfig({ OUTSTREAM_STACK_DIR: dir, OUTSTREAM_PORT_OFFSET: '1000' });
    expect(c.stack.kafkaNodes).toBe(3);
    expect(c.kafka.brokers).toEqual(
      [localPorts.kafka, localPorts.kafka2, localPorts.kafka3].map((p) => `127.0.0.1:${p + 1000}`),
    );
    expect(c.kafka.replication).toEqual({ factor: 3, minInsync: 2 });
    expect(c.stack.external.kafka).toBe(false);
    // An external cluster declares what OUTSTREAM_REPLICATION_FACTOR says (1 when unset).
    expect(
      loadConfig({ KAFKA_BROKERS: 'k1:9092', OUTSTREAM_REPLICATION_FACTOR: '3' }).kafka.replication,
    ).toEqual({
      factor: 3,
      minInsync: 2,
    });
    writeFileSync(path.join(dir, 'profile.json'), JSON.stringify({ kafkaNodes: 2 }));
    expect(() => loadConfig({ OUTSTREAM_STACK_DIR: dir })).toThrow(/profile\.json: kafkaNodes/);
  });
});
