import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { kafkaEnvConfig, loadConfig } from '@boxoffice/platform/config';
import { kafkaConnection, type KafkaConnection } from '@boxoffice/platform/kafka';
import { z } from 'zod';
import type { Settings } from './env-file.ts';

/** The components that talk to Kafka, each as its own principal (see kafka-acls.ts for their rights). */
export const KAFKA_COMPONENTS = ['purchase-api', 'allocator', 'operator', 'analytics'] as const;
export type KafkaComponent = (typeof KAFKA_COMPONENTS)[number];
/** A component, or `admin`: the superuser, for `deps` itself and tests that inspect topics. */
export type KafkaPrincipal = KafkaComponent | 'admin';

export interface KafkaCredentials {
  username: string;
  password: string;
}

/** The principals of one local broker; passwords are random per state directory, never committed. */
export interface KafkaUsers {
  mechanism: 'SCRAM-SHA-512';
  principals: Record<KafkaPrincipal, KafkaCredentials>;
  /** The broker's own login on its SCRAM listener (super user). */
  broker: KafkaCredentials;
  /** The controller listener's login (SASL/PLAIN: KRaft cannot use SCRAM there; super user). */
  controller: KafkaCredentials;
}

// Hex only: the storage tool's `--add-scram 'SCRAM-SHA-512=[name=…,password=…]'` syntax and the
// JAAS lines of server.properties need no quoting then.
const secret = (): string => randomBytes(24).toString('hex');
const user = (name: string): KafkaCredentials => ({ username: `boxoffice-${name}`, password: secret() });

export function createKafkaUsers(): KafkaUsers {
  return {
    mechanism: 'SCRAM-SHA-512',
    principals: {
      admin: user('admin'),
      'purchase-api': user('purchase-api'),
      allocator: user('allocator'),
      operator: user('operator'),
      analytics: user('analytics'),
    },
    broker: user('broker'),
    controller: user('controller'),
  };
}

/** The components' usernames (what their ACLs name). */
export function componentUsernames(users: KafkaUsers): Record<KafkaComponent, string> {
  return Object.fromEntries(
    KAFKA_COMPONENTS.map((component) => [component, users.principals[component].username]),
  ) as Record<KafkaComponent, string>;
}

/**
 * Adds the principals a users file made by an older checkout lacks (a component added since).
 * Returns the completed users and the principals added, whose SCRAM credentials the running broker
 * does not have yet (storage is formatted once).
 */
export function completeKafkaUsers(users: KafkaUsers): { users: KafkaUsers; added: KafkaPrincipal[] } {
  const added = KAFKA_COMPONENTS.filter((component) => !users.principals[component]);
  if (added.length === 0) return { users, added };
  const principals = { ...users.principals };
  for (const component of added) principals[component] = user(component);
  return { users: { ...users, principals }, added };
}

export function writeKafkaUsers(file: string, users: KafkaUsers): void {
  writeFileSync(file, `${JSON.stringify(users, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function readKafkaUsers(file: string): KafkaUsers {
  return JSON.parse(readFileSync(file, 'utf8')) as KafkaUsers;
}

const kafkaAuthKeys = [
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_USERNAME_FILE',
  'KAFKA_SASL_PASSWORD',
  'KAFKA_SASL_PASSWORD_FILE',
  'KAFKA_TLS',
  'KAFKA_TLS_CA_FILE',
] as const;

/** The Kafka settings `deps` passes through for a broker it did not start (KAFKA_BROKERS set). */
export function externalKafkaSettings(env: NodeJS.ProcessEnv): Settings {
  const settings: Settings = { KAFKA_BROKERS: env.KAFKA_BROKERS ?? '' };
  for (const key of [...kafkaAuthKeys, 'KAFKA_USERS_FILE'])
    if (env[key] !== undefined) settings[key] = env[key];
  return settings;
}

/**
 * The Kafka environment of one principal (what a service's typed config reads), from the settings
 * `deps up` wrote. With a users file (the local broker) each principal gets its own credentials;
 * without (an external broker), every client gets the settings' own, or none for a no-auth broker.
 * `tls` picks the local broker's SASL_SSL listener instead of its SASL_PLAINTEXT one.
 */
export function kafkaEnvFor(
  settings: Settings,
  principal: KafkaPrincipal,
  options: { tls?: boolean } = {},
): Record<string, string> {
  const env: Record<string, string> = { KAFKA_BROKERS: settings.KAFKA_BROKERS ?? '' };
  if (settings.KAFKA_USERS_FILE) {
    const users = readKafkaUsers(settings.KAFKA_USERS_FILE);
    env.KAFKA_SASL_MECHANISM = users.mechanism;
    env.KAFKA_SASL_USERNAME = users.principals[principal].username;
    env.KAFKA_SASL_PASSWORD = users.principals[principal].password;
  } else {
    for (const key of kafkaAuthKeys) if (settings[key] !== undefined) env[key] = settings[key];
  }
  if (options.tls) {
    if (!settings.KAFKA_SASL_SSL_BROKERS || !settings.KAFKA_SASL_SSL_CA_FILE)
      throw new Error('the local broker has no TLS listener (KAFKA_SASL_SSL_BROKERS) in these settings');
    env.KAFKA_BROKERS = settings.KAFKA_SASL_SSL_BROKERS;
    env.KAFKA_TLS = 'true';
    env.KAFKA_TLS_CA_FILE = settings.KAFKA_SASL_SSL_CA_FILE;
  }
  return env;
}

/** The same, resolved as a service resolves its config (for clients made in this process). */
export function kafkaConnectionFor(
  settings: Settings,
  principal: KafkaPrincipal,
  options: { tls?: boolean } = {},
): KafkaConnection {
  return kafkaConnection(loadConfig(z.object(kafkaEnvConfig), kafkaEnvFor(settings, principal, options)));
}

/** Whether these settings give each component its own principal (so ACLs can be enforced and tested). */
export function hasComponentPrincipals(settings: Settings): boolean {
  return Boolean(settings.KAFKA_USERS_FILE);
}
