import kafkajs, { type Kafka, type KafkaConfig, type logLevel } from 'kafkajs';
import { fixRequestQueueTimerLoop } from './kafkajs-fixes.ts';

// kafkajs is CommonJS: Node's ESM loader does not detect every named export (e.g.
// ConfigResourceTypes), the default export has them all. Import kafkajs values from here.
const { AssignerProtocol, ConfigResourceTypes, ConfigSource, Partitioners } = kafkajs;
const KafkaLogLevel = kafkajs.logLevel;

// kafkajs #1556: idle connections spin a 1 ms timer loop; fixed before any client exists.
fixRequestQueueTimerLoop();

/**
 * The one place Outstream builds its Kafka client. kafkajs is unmaintained; keeping every
 * construction here means a switch of client touches one module, and the suite's
 * `core/kafka.int.test.ts` proves every capability we use against the stack's broker.
 */
export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  /** kafkajs log level; defaults to ERROR (its INFO level is chatty about group joins). */
  logLevel?: logLevel;
  /** Retries of kafkajs's own retrier for broker requests (default 8, kafkajs's default is 5). */
  retries?: number;
}

/**
 * Broker answers that are part of normal group life, which kafkajs nevertheless logs at
 * ERROR on every heartbeat during a rebalance or a coordinator's start: the consumer
 * handles them (rejoin, retry). Kept out of the logs so that real errors stand out.
 */
const routineErrors = [/The group is rebalancing/, /coordinator is loading/i, /not the correct coordinator/i];

/** Writes kafkajs's log entries as JSON lines on stderr, as kafkajs does, minus routine ones. */
const logCreator: KafkaConfig['logCreator'] =
  () =>
  ({ namespace, level, label, log }) => {
    const { message, ...extra } = log;
    if (level <= KafkaLogLevel.ERROR && routineErrors.some((r) => r.test(String(extra.error ?? message))))
      return;
    console.error(JSON.stringify({ level: label, logger: 'kafkajs', namespace, message, ...extra }));
  };

/**
 * Creates a kafkajs client for the given brokers.
 *
 * @example
 * const kafka = createKafka(config.kafka);
 * const admin = kafka.admin();
 */
export function createKafka(options: KafkaOptions): Kafka {
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: options.logLevel ?? KafkaLogLevel.ERROR,
    retry: { retries: options.retries ?? 8, initialRetryTime: 100, maxRetryTime: 5_000 },
    connectionTimeout: 3_000,
    logCreator,
  };
  return new kafkajs.Kafka(config);
}

export { AssignerProtocol, ConfigResourceTypes, ConfigSource, KafkaLogLevel, Partitioners };
