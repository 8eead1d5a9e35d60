import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from './logger.ts';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose logs go through the service's pino logger. */
export function createKafka(options: { clientId: string; brokers: string[]; logger: Logger }): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        options.logger[levels[level] ?? 'info']({ kafka: extra }, message);
      },
    retry: { initialRetryTime: 100, retries: 8 },
  });
}

/** Shared topics: order lifecycle events for downstream consumers, and the dead-letter topic. */
export function sharedTopics(prefix: string): { orderEvents: string; deadLetter: string } {
  const p = prefix ? `${prefix}.` : '';
  return { orderEvents: `${p}boxoffice.order-events`, deadLetter: `${p}boxoffice.dead-letter` };
}
