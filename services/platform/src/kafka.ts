import { isIP, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Kafka, logLevel, type ISocketFactory, type LogEntry } from 'kafkajs';
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
    socketFactory: noDelaySockets,
  });
}

/** Shared topics: order lifecycle events for downstream consumers, and the dead-letter topic. */
export function sharedTopics(prefix: string): { orderEvents: string; deadLetter: string } {
  const p = prefix ? `${prefix}.` : '';
  return { orderEvents: `${p}boxoffice.order-events`, deadLetter: `${p}boxoffice.dead-letter` };
}
