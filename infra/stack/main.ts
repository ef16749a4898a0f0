import { existsSync } from 'node:fs';
import path from 'node:path';
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { configToEnv, loadConfig, type OutstreamConfig } from '../../core/config.ts';
import { ErrorCode, InvalidArgumentError, isOutstreamError } from '../../core/errors.ts';
import { type KafkaNodeCount, parseKafkaNodeCount, writeStackProfile } from '../../core/stack-profile.ts';
import { captureFlagOptions, captureFlagsUsage, parseCaptureThresholds } from '../outbox/capture-flags.ts';
import { captureStatus, stackDown, stackStatus, stackUp } from './stack.ts';

const usage = `usage: npm run stack:<command>
  stack:up [-- --brokers 1|3]
                start every local component (idempotent) and wait until each is healthy;
                --brokers 3 creates the cluster profile: three KRaft nodes (ports 19092,
                19094, 19096 + offset), topics with 3 replicas and min.insync.replicas 2. The
                choice is kept in the stack directory (profile.json): later commands use it
  stack:down    stop what the stack started (external services are left alone)
  stack:status [-- --max-slot-lag-mib N] [--max-slot-age-s N]
                each component, its URL, pid and health, then capture (outbox connector and
                replication slot): exit 1 if any is unhealthy, naming what to do
                (${captureFlagsUsage})
  stack:env     the connection settings as KEY=value lines: set -a; eval "$(npm run -s stack:env)"`;

async function main(command: string | undefined): Promise<number> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(usage);
    return 0;
  }
  let config = loadConfig(process.env);
  const log = (line: string) => console.log(line);
  switch (command) {
    case 'up': {
      const started = Date.now();
      const { brokers } = parseFlags(process.argv.slice(3), upFlagOptions);
      if (brokers !== undefined) config = chooseProfile(config, parseKafkaNodeCount(brokers));
      if (config.stack.kafkaNodes > 1)
        log(`cluster profile: ${config.stack.kafkaNodes} Kafka nodes (${config.kafka.brokers.join(', ')})`);
      await stackUp(config, log);
      log(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    case 'down':
      await stackDown(config, log);
      return 0;
    case 'status': {
      const thresholds = parseCaptureThresholds(parseFlags(process.argv.slice(3), captureFlagOptions));
      const rows = await stackStatus(config);
      for (const r of rows) {
        const pid = r.managed === 'external' ? 'external' : r.pid === undefined ? 'stopped' : `pid ${r.pid}`;
        log(
          `${r.component.padEnd(9)} ${(r.healthy ? 'healthy' : 'DOWN').padEnd(8)} ${pid.padEnd(10)} ${r.url}`,
        );
        if (r.nodes) {
          log(
            `  nodes: ${r.nodes.map((p, i) => `${i + 1} ${p === undefined ? 'STOPPED' : `pid ${p}`}`).join(', ')}`,
          );
        }
      }
      // Every process may answer while nothing is published: capture is judged on its own.
      const capture = await captureStatus(config, rows, thresholds);
      log(`${'capture'.padEnd(9)} ${capture.state.padEnd(8)} ${capture.summary}`);
      for (const line of capture.details) log(`  ${line}`);
      return rows.every((r) => r.healthy) && capture.state === 'healthy' ? 0 : 1;
    }
    case 'env':
      log(configToEnv(config));
      return 0;
    default:
      console.error(usage);
      return 2;
  }
}

const upFlagOptions = { brokers: { type: 'string' } } as const;

/**
 * Records the Kafka profile of a stack directory. A KRaft cluster cannot change its number of
 * voters by a restart, so a stack whose Kafka was formatted with another shape is refused.
 */
function chooseProfile(config: OutstreamConfig, kafkaNodes: KafkaNodeCount): OutstreamConfig {
  if (kafkaNodes === config.stack.kafkaNodes) return config;
  if (existsSync(path.join(config.stack.dir, 'kafka', 'data', 'meta.properties'))) {
    throw new InvalidArgumentError([
      `--brokers ${kafkaNodes}: the stack in ${config.stack.dir} was created with ${config.stack.kafkaNodes} Kafka ` +
        `node${config.stack.kafkaNodes === 1 ? '' : 's'}, and a KRaft cluster keeps its shape. Run the other ` +
        'profile as a second stack (OUTSTREAM_STACK_DIR=.stack-cluster OUTSTREAM_PORT_OFFSET=1000 npm run ' +
        `stack:up -- --brokers ${kafkaNodes}), or start afresh: npm run stack:down && rm -rf ${config.stack.dir}`,
    ]);
  }
  writeStackProfile(config.stack.dir, { kafkaNodes });
  return loadConfig(process.env);
}

function parseFlags<O extends ParseArgsOptionsConfig>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true }).values;
  } catch (e) {
    throw new InvalidArgumentError([e instanceof Error ? e.message : String(e)]);
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(isOutstreamError(e) ? `stack: ${e.message}` : e);
    process.exit(isOutstreamError(e, ErrorCode.invalidArgument) ? 2 : 1);
  },
);
