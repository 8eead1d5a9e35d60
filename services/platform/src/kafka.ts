import { readFileSync } from 'node:fs';
import { isIP, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type ISocketFactory, type LogEntry, type SASLOptions } from 'kafkajs';
import type { KafkaEnv } from './config.ts';
import type { Logger } from './logger.ts';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * kafkajs's own socket factory leaves Nagle's algorithm on; small produce and fetch requests then
 * wait for delayed ACKs (~40 ms on Linux) on every hop. Same sockets, with TCP_NODELAY.
 */
const noDelaySockets: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : tcpConnect({ host, port, noDelay: true }, onConnect);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

/** Where the brokers are and how to authenticate to them, resolved from the environment. */
export interface KafkaConnection {
  brokers: string[];
  /** SCRAM credentials; absent: the client does not authenticate. */
  sasl?: Extract<SASLOptions, { mechanism: 'scram-sha-256' | 'scram-sha-512' }>;
  /** TLS options; absent: plaintext. */
  ssl?: ConnectionOptions;
}

/**
 * Checks the Kafka settings as a whole and reads the files they name (mounted Secrets), so a
 * half-configured client fails at start with every problem listed, not at its first request.
 */
export function kafkaConnection(config: KafkaEnv): KafkaConnection {
  const problems: string[] = [];
  const secret = (key: 'KAFKA_SASL_USERNAME' | 'KAFKA_SASL_PASSWORD'): string | undefined => {
    const value = config[key];
    const file = config[`${key}_FILE`];
    if (value !== undefined && file !== undefined) problems.push(`${key}: set it or ${key}_FILE, not both`);
    if (file === undefined) return value;
    return readSetting(`${key}_FILE`, file, problems)?.replace(/\r?\n$/, '');
  };
  const username = secret('KAFKA_SASL_USERNAME');
  const password = secret('KAFKA_SASL_PASSWORD');
  const mechanism = config.KAFKA_SASL_MECHANISM;
  if (mechanism) {
    if (!username) problems.push('KAFKA_SASL_USERNAME: required with KAFKA_SASL_MECHANISM (or _FILE)');
    if (!password) problems.push('KAFKA_SASL_PASSWORD: required with KAFKA_SASL_MECHANISM (or _FILE)');
  } else if (username || password) {
    problems.push(
      'KAFKA_SASL_MECHANISM: required with a SASL username or password (SCRAM-SHA-512 or SCRAM-SHA-256)',
    );
  }
  if (config.KAFKA_TLS_CA_FILE !== undefined && config.KAFKA_TLS_CA !== undefined)
    problems.push('KAFKA_TLS_CA: set it or KAFKA_TLS_CA_FILE, not both');
  const ca =
    config.KAFKA_TLS_CA ??
    (config.KAFKA_TLS_CA_FILE === undefined
      ? undefined
      : readSetting('KAFKA_TLS_CA_FILE', config.KAFKA_TLS_CA_FILE, problems));
  if (ca !== undefined && !config.KAFKA_TLS)
    problems.push('KAFKA_TLS: must be true when a CA is given (KAFKA_TLS_CA_FILE or KAFKA_TLS_CA)');
  if (problems.length > 0)
    throw new Error(`invalid configuration:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  return {
    brokers: config.KAFKA_BROKERS,
    ...(mechanism && username && password
      ? {
          sasl: {
            mechanism:
              mechanism === 'SCRAM-SHA-512' ? ('scram-sha-512' as const) : ('scram-sha-256' as const),
            username,
            password,
          },
        }
      : {}),
    ...(config.KAFKA_TLS ? { ssl: ca === undefined ? {} : { ca: [ca] } } : {}),
  };
}

function readSetting(key: string, file: string, problems: string[]): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    problems.push(`${key}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    return undefined;
  }
}

/** A kafkajs client whose logs go through the service's pino logger. */
export function createKafka(options: {
  clientId: string;
  connection: KafkaConnection;
  logger: Logger;
}): Kafka {
  const { brokers, sasl, ssl } = options.connection;
  return new Kafka({
    clientId: options.clientId,
    brokers,
    ...(sasl ? { sasl } : {}),
    ...(ssl ? { ssl } : {}),
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        options.logger[levels[level] ?? 'info']({ kafka: extra }, message);
      },
    retry: { initialRetryTime: 100, retries: 8 },
    socketFactory: noDelaySockets,
  });
}

/** Shared topics: order lifecycle events for downstream consumers, and the dead-letter topic. */
export function sharedTopics(prefix: string): { orderEvents: string; deadLetter: string } {
  const p = prefix ? `${prefix}.` : '';
  return { orderEvents: `${p}boxoffice.order-events`, deadLetter: `${p}boxoffice.dead-letter` };
}
