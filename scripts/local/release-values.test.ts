import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { valuesSchema } from '../chart/values-schema.ts';
import { createKafkaUsers, writeKafkaUsers } from '../deps/kafka-users.ts';
import { localReleaseValues } from './release-values.ts';

const usersFile = join(mkdtempSync(join(tmpdir(), 'release-values-')), 'users.json');
const users = createKafkaUsers();
writeKafkaUsers(usersFile, users);
const settings = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  REDIS_URL: 'redis://127.0.0.1:6379',
  KAFKA_BROKERS: '127.0.0.1:9092,127.0.0.1:9093',
  KAFKA_USERS_FILE: usersFile,
};
const values = localReleaseValues({
  settings,
  image: { repository: 'localhost/boxoffice', tag: 'dev', pullPolicy: 'Never' },
  jwtSecret: 'local-jwt-secret-at-least-32-characters',
  webhookSecret: 'local-webhook-secret',
  apiEnv: { SOME_DEVELOPMENT_SETTING: 'on' },
}) as {
  kafka: {
    brokers: string[];
    allocatorUsername?: string;
    allocatorPassword?: string;
    analyticsUsername?: string;
    analyticsPassword?: string;
  };
  analytics: { env: Record<string, string> };
  operator: { env: Record<string, string> };
  purchaseApi: { env: Record<string, string> };
  queryApi: { env: Record<string, string> };
};

describe("npm start's values of the chart", () => {
  it("are values the chart's schema accepts (it refuses unknown and mistyped keys)", () => {
    expect(() => valuesSchema.parse(values)).not.toThrow();
  });

  it('point at the local servers and give each Kafka client its own principal, never the brokers twice', () => {
    expect(values.kafka.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(values.operator.env).toMatchObject({
      KAFKA_SASL_USERNAME: users.principals.operator.username,
    });
    // The allocators' principal goes into the chart's Secret (allocator pods read it by reference),
    // never into the operator's plain env, from where it would reach every allocator Deployment.
    expect(values.kafka).toMatchObject({
      allocatorUsername: users.principals.allocator.username,
      allocatorPassword: users.principals.allocator.password,
    });
    expect(JSON.stringify(values.operator.env)).not.toContain(users.principals.allocator.password);
    expect(values.purchaseApi.env).toMatchObject({
      KAFKA_SASL_USERNAME: users.principals['purchase-api'].username,
      SOME_DEVELOPMENT_SETTING: 'on',
    });
    expect(values.queryApi.env).toEqual({ SOME_DEVELOPMENT_SETTING: 'on' });
    // The analytics consumer's principal goes into the chart's Secret too; only its mechanism is plain.
    expect(values.kafka).toMatchObject({
      analyticsUsername: users.principals.analytics.username,
      analyticsPassword: users.principals.analytics.password,
    });
    expect(values.analytics.env).toEqual({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512' });
    for (const env of [values.operator.env, values.purchaseApi.env])
      expect(env).not.toHaveProperty('KAFKA_BROKERS');
  });
});
