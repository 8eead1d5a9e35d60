import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  completeKafkaUsers,
  createKafkaUsers,
  externalKafkaSettings,
  kafkaEnvFor,
  writeKafkaUsers,
} from './kafka-users.ts';

describe("the local broker's principals", () => {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-users-'));
  const usersFile = join(dir, 'users.json');
  const users = createKafkaUsers();
  writeKafkaUsers(usersFile, users);
  const local = { KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_USERS_FILE: usersFile };

  it('are random per state directory and readable only by their owner', () => {
    const other = createKafkaUsers();
    expect(other.principals.allocator.password).not.toBe(users.principals.allocator.password);
    expect(new Set(Object.values(users.principals).map((u) => u.password)).size).toBe(5);
    expect(statSync(usersFile).mode & 0o077).toBe(0);
  });

  it('give each component its own credentials', () => {
    expect(kafkaEnvFor(local, 'purchase-api')).toEqual({
      KAFKA_BROKERS: '127.0.0.1:9092',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'boxoffice-purchase-api',
      KAFKA_SASL_PASSWORD: users.principals['purchase-api'].password,
    });
    expect(kafkaEnvFor(local, 'allocator').KAFKA_SASL_USERNAME).toBe('boxoffice-allocator');
  });

  it('are completed, keeping the existing ones, when a users file predates a component', () => {
    const { analytics: _missing, ...older } = users.principals;
    const { users: completed, added } = completeKafkaUsers({
      ...users,
      principals: older as typeof users.principals,
    });
    expect(added).toEqual(['analytics']);
    expect(completed.principals.analytics.username).toBe('boxoffice-analytics');
    expect(completed.principals.allocator).toEqual(users.principals.allocator);
    expect(completeKafkaUsers(users).added).toEqual([]);
  });

  it('pick the TLS listener and its CA when asked', () => {
    const settings = {
      ...local,
      KAFKA_SASL_SSL_BROKERS: '127.0.0.1:9093',
      KAFKA_SASL_SSL_CA_FILE: '/ca.crt',
    };
    expect(kafkaEnvFor(settings, 'operator', { tls: true })).toMatchObject({
      KAFKA_BROKERS: '127.0.0.1:9093',
      KAFKA_TLS: 'true',
      KAFKA_TLS_CA_FILE: '/ca.crt',
    });
    expect(() => kafkaEnvFor(local, 'operator', { tls: true })).toThrow(/no TLS listener/);
  });

  it("pass an external broker's own settings to every client (none for a no-auth broker)", () => {
    const external = externalKafkaSettings({
      KAFKA_BROKERS: 'kafka:9092',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
      KAFKA_SASL_USERNAME: 'shared',
      KAFKA_SASL_PASSWORD_FILE: '/run/secrets/kafka',
      HOME: '/root',
    });
    expect(kafkaEnvFor(external, 'allocator')).toEqual({
      KAFKA_BROKERS: 'kafka:9092',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
      KAFKA_SASL_USERNAME: 'shared',
      KAFKA_SASL_PASSWORD_FILE: '/run/secrets/kafka',
    });
    expect(kafkaEnvFor(externalKafkaSettings({ KAFKA_BROKERS: 'kafka:9092' }), 'admin')).toEqual({
      KAFKA_BROKERS: 'kafka:9092',
    });
  });
});
