import { createKafka, type KafkaConnection } from '@boxoffice/platform/kafka';
import { createLogger } from '@boxoffice/platform/logger';
import type { Kafka } from 'kafkajs';
import { grantComponentAcls } from '../../scripts/deps/kafka-acls.ts';
import {
  componentUsernames,
  hasComponentPrincipals,
  kafkaConnectionFor,
  kafkaEnvFor,
  readKafkaUsers,
  type KafkaPrincipal,
} from '../../scripts/deps/kafka-users.ts';
import { dependencySettings } from './dependencies.ts';

export type { KafkaPrincipal } from '../../scripts/deps/kafka-users.ts';

/**
 * The Kafka env vars of one component's principal (KAFKA_BROKERS, KAFKA_SASL_*), for the config of
 * a service a test starts, in-process or as a child process. `admin` is the superuser: only for
 * tests that set up or inspect topics, never for the component under test.
 */
export function kafkaEnv(principal: KafkaPrincipal, options: { tls?: boolean } = {}): Record<string, string> {
  return kafkaEnvFor(dependencySettings(), principal, options);
}

/** The resolved connection of `principal` (brokers, SASL, TLS), as a service resolves its config. */
export function kafkaConnectionAs(
  principal: KafkaPrincipal,
  options: { tls?: boolean } = {},
): KafkaConnection {
  return kafkaConnectionFor(dependencySettings(), principal, options);
}

/** A kafkajs client authenticated as `principal`, built the way the services build theirs. */
export function kafkaAs(
  principal: KafkaPrincipal,
  clientId: string,
  options: { tls?: boolean; logLevel?: string } = {},
): Kafka {
  return createKafka({
    clientId,
    connection: kafkaConnectionFor(dependencySettings(), principal, options),
    logger: createLogger(clientId, options.logLevel ?? process.env.TEST_LOG_LEVEL ?? 'warn'),
  });
}

/** Whether each component has its own principal on this broker (the local one does; an external may not). */
export function kafkaEnforcesPrincipals(): boolean {
  return hasComponentPrincipals(dependencySettings());
}

/**
 * Grants the components their ACLs for the shared topics of a suite's BOXOFFICE_PREFIX (purchase
 * topics and allocator groups are covered whatever the prefix), as an installation would.
 */
export async function grantKafkaAcls(prefix: string): Promise<void> {
  const settings = dependencySettings();
  if (!hasComponentPrincipals(settings)) return;
  const users = readKafkaUsers(settings.KAFKA_USERS_FILE!);
  const admin = kafkaAs('admin', `acls-${prefix}`).admin();
  await admin.connect();
  try {
    await grantComponentAcls(admin, prefix, componentUsernames(users));
  } finally {
    await admin.disconnect();
  }
}
