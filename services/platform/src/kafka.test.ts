import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { kafkaEnvConfig, loadConfig } from './config.ts';
import { kafkaConnection } from './kafka.ts';

const resolve = (env: Record<string, string>) =>
  kafkaConnection(loadConfig(z.object(kafkaEnvConfig), { KAFKA_BROKERS: 'b1:9092,b2:9092', ...env }));
const file = (name: string, content: string): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'kafka-config-')), name);
  writeFileSync(path, content);
  return path;
};

describe('kafkaConnection (the Kafka settings of every service)', () => {
  it('does not authenticate without KAFKA_SASL_MECHANISM (a local broker that accepts anyone)', () => {
    expect(resolve({})).toEqual({ brokers: ['b1:9092', 'b2:9092'] });
  });

  it('authenticates with SCRAM-SHA-512 or SCRAM-SHA-256, whatever the case of the name', () => {
    expect(
      resolve({
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'api',
        KAFKA_SASL_PASSWORD: 'pw',
      }).sasl,
    ).toEqual({ mechanism: 'scram-sha-512', username: 'api', password: 'pw' });
    expect(
      resolve({
        KAFKA_SASL_MECHANISM: 'scram-sha-256',
        KAFKA_SASL_USERNAME: 'api',
        KAFKA_SASL_PASSWORD: 'pw',
      }).sasl?.mechanism,
    ).toBe('scram-sha-256');
  });

  it('reads username and password from mounted Secret files, without their trailing newline', () => {
    const connection = resolve({
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME_FILE: file('username', 'allocator\n'),
      KAFKA_SASL_PASSWORD_FILE: file('password', 's3cret\n'),
    });
    expect(connection.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'allocator',
      password: 's3cret',
    });
  });

  it('uses TLS verified against the system CAs, or against the CA given as a file or as PEM text', () => {
    expect(resolve({ KAFKA_TLS: 'true' }).ssl).toEqual({});
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(resolve({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: file('ca.crt', pem) }).ssl).toEqual({ ca: [pem] });
    expect(resolve({ KAFKA_TLS: 'true', KAFKA_TLS_CA: pem }).ssl).toEqual({ ca: [pem] });
    expect(resolve({ KAFKA_TLS: 'false' }).ssl).toBeUndefined();
  });

  it('fails at start with every problem of a half-done configuration listed', () => {
    expect(() => resolve({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512' })).toThrow(
      /KAFKA_SASL_USERNAME: required[\s\S]*KAFKA_SASL_PASSWORD: required/,
    );
    expect(() => resolve({ KAFKA_SASL_USERNAME: 'api', KAFKA_SASL_PASSWORD: 'pw' })).toThrow(
      /KAFKA_SASL_MECHANISM: required/,
    );
    expect(() =>
      resolve({
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'api',
        KAFKA_SASL_PASSWORD: 'pw',
        KAFKA_SASL_PASSWORD_FILE: file('password', 'pw'),
      }),
    ).toThrow(/KAFKA_SASL_PASSWORD: set it or KAFKA_SASL_PASSWORD_FILE, not both/);
    expect(() =>
      resolve({
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'api',
        KAFKA_SASL_PASSWORD_FILE: '/nonexistent/password',
      }),
    ).toThrow(/KAFKA_SASL_PASSWORD_FILE: cannot read \/nonexistent\/password \(ENOENT\)/);
    expect(() => resolve({ KAFKA_TLS_CA: 'pem' })).toThrow(/KAFKA_TLS: must be true when a CA is given/);
  });

  it('refuses a mechanism other than SCRAM', () => {
    expect(() => resolve({ KAFKA_SASL_MECHANISM: 'PLAIN' })).toThrow(/KAFKA_SASL_MECHANISM/);
  });
});
