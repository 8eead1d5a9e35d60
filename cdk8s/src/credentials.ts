/**
 * The installation's Secret: each credential given as a value (templates/secret.yaml). One named
 * through existingSecret is left out; with none left, there is no Secret.
 */
import { createHash } from 'node:crypto';
import * as kplus from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import type { Installation } from './installation.ts';

export function credentialEntries(install: Installation): Record<string, string> {
  const { postgresql, redis, jwt, webhook, kafka } = install.values;
  const entries: Record<string, string> = {};
  if (!postgresql.existingSecret) entries.DATABASE_URL = postgresql.url;
  if (!redis.existingSecret) entries.REDIS_URL = redis.url;
  if (jwt.algorithm === 'HS256' && !jwt.existingSecret) entries.JWT_SECRET = jwt.secret;
  if (!webhook.existingSecret) entries.WEBHOOK_SECRET = webhook.secret;
  // The allocators' own Kafka principal, read by allocator pods through ALLOCATOR_KAFKA_SECRET.
  if (kafka.allocatorUsername && !kafka.allocatorSecret) {
    entries.KAFKA_SASL_USERNAME = kafka.allocatorUsername;
    entries.KAFKA_SASL_PASSWORD = kafka.allocatorPassword;
  }
  // The analytics consumer's own principal, under keys of its own (KAFKA_SASL_* are the allocators').
  if (install.values.analytics.enabled && kafka.analyticsUsername && !kafka.analyticsSecret) {
    entries.ANALYTICS_KAFKA_SASL_USERNAME = kafka.analyticsUsername;
    entries.ANALYTICS_KAFKA_SASL_PASSWORD = kafka.analyticsPassword;
  }
  return entries;
}

/** The pods' `checksum/secret`: a new value rolls them when a credential changes, as the chart's does. */
export function credentialsChecksum(entries: Record<string, string>): string {
  const sorted = Object.keys(entries)
    .sort()
    .map((key) => [key, entries[key]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

export function credentialsSecret(
  scope: Construct,
  install: Installation,
  entries: Record<string, string>,
): void {
  if (Object.keys(entries).length === 0) return;
  new kplus.k8s.KubeSecret(scope, 'credentials', {
    metadata: {
      name: install.names.secret,
      namespace: install.namespace,
      labels: install.labels('platform'),
    },
    type: 'Opaque',
    data: Object.fromEntries(
      Object.entries(entries).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    ),
  });
}
