/**
 * The analytics consumer: its identity (no API access) and Deployment (templates/analytics.yaml of
 * the chart). It reads PostgreSQL and the order-events topic as its own Kafka principal; no Redis.
 */
import { COMPONENTS } from '@boxoffice/conventions';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { extraEnv, kafkaEnvFrom, secretEnv, sharedEnv, type Env } from './env.ts';
import type { Installation } from './installation.ts';
import { platformDeployment } from './workload.ts';

export class Analytics extends Construct {
  readonly deployment: kplus.Deployment;

  constructor(scope: Construct, id: string, install: Installation, secretChecksum: string) {
    super(scope, id);
    const values = install.values.analytics;
    if (values.serviceAccount.create)
      new kplus.ServiceAccount(this, 'service-account', {
        metadata: {
          name: install.names.analyticsServiceAccount,
          namespace: install.namespace,
          labels: install.labels('analytics'),
          ...(Object.keys(values.serviceAccount.annotations).length
            ? { annotations: values.serviceAccount.annotations }
            : {}),
        },
        automountToken: false,
      });
    this.deployment = platformDeployment(this, install, {
      component: 'analytics',
      values,
      replicas: values.replicas,
      serviceAccount: kplus.ServiceAccount.fromServiceAccountName(
        this,
        'identity',
        install.names.analyticsServiceAccount,
      ),
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: values.terminationGracePeriodSeconds,
      env: this.env(install),
      envFrom: [
        ...kafkaEnvFrom(this, install),
        // Its own principal: a later source wins over the shared Secret's keys.
        ...(install.values.kafka.analyticsSecret
          ? [
              kplus.Env.fromSecret(
                kplus.Secret.fromSecretName(this, 'analytics-kafka', install.values.kafka.analyticsSecret),
              ),
            ]
          : []),
      ],
      secretChecksum,
    });
  }

  private env(install: Installation): Env {
    const { analytics, kafka, postgresql } = install.values;
    const value = kplus.EnvValue.fromValue;
    const own = (env: string, key: string) =>
      secretEnv(this, install, env, { existingSecret: install.names.secret, existingSecretKey: key });
    return {
      DATABASE_URL: secretEnv(this, install, 'DATABASE_URL', postgresql),
      ...sharedEnv(install),
      PORT: value(String(COMPONENTS.analytics.port)),
      OTEL_SERVICE_NAME: value('analytics'),
      ...(analytics.groupId ? { ANALYTICS_GROUP_ID: value(analytics.groupId) } : {}),
      ...(kafka.analyticsUsername && !kafka.analyticsSecret
        ? {
            KAFKA_SASL_USERNAME: own('KAFKA_SASL_USERNAME', 'ANALYTICS_KAFKA_SASL_USERNAME'),
            KAFKA_SASL_PASSWORD: own('KAFKA_SASL_PASSWORD', 'ANALYTICS_KAFKA_SASL_PASSWORD'),
          }
        : {}),
      ...extraEnv(analytics.env),
    };
  }
}
