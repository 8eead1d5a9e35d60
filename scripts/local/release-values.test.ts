import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { valuesSchema } from '../chart/values-schema.ts';
import { createKafkaUsers, writeKafkaUsers } from '../deps/kafka-users.ts';
import { READINESS_BY_RUNNER, localReleaseValues } from './release-values.ts';

const dir = mkdtempSync(join(tmpdir(), 'release-values-'));
const usersFile = join(dir, 'users.json');
const users = createKafkaUsers();
writeKafkaUsers(usersFile, users);
const kedaFile = join(dir, 'keda-kafka-user.json');
writeFileSync(kedaFile, JSON.stringify({ username: 'boxoffice-keda', password: 'keda-password-1' }));
const settings = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  REDIS_URL: 'redis://127.0.0.1:6379',
  KAFKA_BROKERS: '127.0.0.1:9092,127.0.0.1:9093',
  KAFKA_USERS_FILE: usersFile,
  KEDA_KAFKA_PRINCIPAL_FILE: kedaFile,
};
type Values = {
  kafka: {
    brokers: string[];
    allocatorUsername?: string;
    allocatorPassword?: string;
    analyticsUsername?: string;
    analyticsPassword?: string;
  };
  keda?: { kafka: { username: string; password: string } };
  analytics: Component;
  operator: Component;
  purchaseApi: Component;
  queryApi: Component;
};
type Component = { env: Record<string, string>; podAnnotations?: Record<string, string> };
const valuesWith = (deps: Record<string, string>): Values =>
  localReleaseValues({
    settings: deps,
    image: { repository: 'localhost/boxoffice', tag: 'dev', pullPolicy: 'Never' },
    jwtSecret: 'local-jwt-secret-at-least-32-characters',
    webhookSecret: 'local-webhook-secret',
    apiEnv: { SOME_DEVELOPMENT_SETTING: 'on' },
  }) as Values;
const values = valuesWith(settings);

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

  it("leave every pod's readiness to the runner: KWOK's stage for such pods never reports them Ready", () => {
    for (const component of [values.operator, values.purchaseApi, values.queryApi, values.analytics])
      expect(component.podAnnotations).toEqual({ [READINESS_BY_RUNNER]: 'runner' });
    type Stage = {
      metadata: { name: string };
      spec: {
        resourceRef: { kind: string };
        selector: { matchAnnotations?: Record<string, string>; matchExpressions?: { key: string }[] };
        next: { statusTemplate?: string };
      };
    };
    const stages = parseAllDocuments(
      readFileSync(new URL('../../tools/kwok/stages.yaml', import.meta.url), 'utf8'),
    ).map((document) => document.toJS() as Stage);
    const running = stages.filter((s) => s.spec.resourceRef.kind === 'Pod' && s.spec.next.statusTemplate);
    const byRunner = running.filter(
      (s) => s.spec.selector.matchAnnotations?.[READINESS_BY_RUNNER] === 'runner',
    );
    expect(byRunner).toHaveLength(1);
    expect(byRunner[0]!.spec.next.statusTemplate).toMatch(/type: Ready\n\s+status: "False"/);
    // Every other stage that reports a pod Running excludes the annotated pods.
    for (const stage of running.filter((s) => s !== byRunner[0]))
      expect(stage.spec.selector.matchExpressions).toContainEqual({
        key: `.metadata.annotations["${READINESS_BY_RUNNER}"]`,
        operator: 'DoesNotExist',
      });
  });

  it("give the local KEDA's principal to the chart (its TriggerAuthentication beside the allocators), never to a pod's env", () => {
    expect(values.keda).toEqual({ kafka: { username: 'boxoffice-keda', password: 'keda-password-1' } });
    for (const env of [values.operator.env, values.purchaseApi.env, values.queryApi.env])
      expect(JSON.stringify(env)).not.toContain('keda-password-1');
    expect(values.operator.env).toMatchObject({ KEDA_POLLING_INTERVAL_SECONDS: '2' });
    const { KEDA_KAFKA_PRINCIPAL_FILE: _keda, ...withoutKeda } = settings;
    expect(valuesWith(withoutKeda)).not.toHaveProperty('keda');
  });

  it("send every pod's spans to the given trace store, every trace kept, and none without one", () => {
    const traced = localReleaseValues({
      settings,
      image: { repository: 'localhost/boxoffice', tag: 'dev', pullPolicy: 'Never' },
      jwtSecret: 'local-jwt-secret-at-least-32-characters',
      webhookSecret: 'local-webhook-secret',
      otlpEndpoint: 'http://127.0.0.1:4318',
    });
    expect(() => valuesSchema.parse(traced)).not.toThrow();
    expect(traced.telemetry).toEqual({
      otlpEndpoint: 'http://127.0.0.1:4318',
      sampler: 'parentbased_always_on',
    });
    expect(values).not.toHaveProperty('telemetry');
  });
});
