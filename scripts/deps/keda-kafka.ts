import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka as KafkaClient, logLevel } from 'kafkajs';
import type { Settings } from './env-file.ts';
import { grantKedaAcls } from './kafka-acls.ts';
import { kafkaConnectionFor, kafkaEnvFor, readKafkaUsers, type KafkaCredentials } from './kafka-users.ts';
import { kafkaLibDir } from './kafka.ts';
import { repoRoot } from './paths.ts';
import { run } from './processes.ts';

export const KEDA_KAFKA_USERNAME = 'boxoffice-keda';

/**
 * KEDA's own principal on the local broker, allowed only to read lag (kafka-acls.ts `kedaGrants`).
 * The components' principals are bootstrapped when the storage is formatted; this one is added to
 * the running broker with Kafka's own ConfigCommand (kafkajs cannot alter SCRAM credentials)
 * whenever it cannot log in: on first use, and after the broker's storage was reset. Its password
 * is random per state directory, kept in `file` (mode 600).
 *
 * Against an external broker (no users file) KEDA gets the settings' own credentials, or none.
 */
export async function ensureKedaKafkaPrincipal(
  settings: Settings,
  file: string,
): Promise<KafkaCredentials | undefined> {
  if (!settings.KAFKA_USERS_FILE) {
    const env = kafkaEnvFor(settings, 'operator');
    return env.KAFKA_SASL_USERNAME && env.KAFKA_SASL_PASSWORD
      ? { username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD }
      : undefined;
  }
  if (!existsSync(file)) {
    const fresh: KafkaCredentials = {
      username: KEDA_KAFKA_USERNAME,
      password: randomBytes(24).toString('hex'),
    };
    writeFileSync(file, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  const keda = JSON.parse(readFileSync(file, 'utf8')) as KafkaCredentials;
  if (!(await canLogIn(settings, keda))) {
    addScramUser(settings, keda, file);
    const deadline = Date.now() + 30_000;
    while (!(await canLogIn(settings, keda)))
      if (Date.now() > deadline) throw new Error(`KEDA's Kafka principal ${keda.username} cannot log in`);
  }
  const admin = new KafkaClient({
    ...kafkaConnectionFor(settings, 'admin'),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  await admin.connect();
  try {
    await grantKedaAcls(admin, keda.username);
  } finally {
    await admin.disconnect();
  }
  return keda;
}

async function canLogIn(settings: Settings, credentials: KafkaCredentials): Promise<boolean> {
  const admin = new KafkaClient({
    brokers: settings.KAFKA_BROKERS!.split(','),
    clientId: 'boxoffice-deps-keda',
    sasl: { mechanism: 'scram-sha-512', ...credentials },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect();
  }
}

/** SCRAM-SHA-512 credentials (the local brokers' mechanism) for `credentials.username`, set by the superuser. */
function addScramUser(settings: Settings, credentials: KafkaCredentials, file: string): void {
  const superuser = readKafkaUsers(settings.KAFKA_USERS_FILE!).principals.admin;
  const clientConfig = `${file}.admin.properties`;
  writeFileSync(
    clientConfig,
    [
      'security.protocol=SASL_PLAINTEXT',
      'sasl.mechanism=SCRAM-SHA-512',
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${superuser.username}" password="${superuser.password}";`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  run(
    'java',
    [
      '-Xmx256m',
      `-Dlog4j2.configurationFile=${join(repoRoot, 'tools', 'kafka', 'log4j2.properties')}`,
      '-cp',
      `${kafkaLibDir}/*`,
      'kafka.admin.ConfigCommand',
      '--bootstrap-server',
      settings.KAFKA_BROKERS!,
      '--command-config',
      clientConfig,
      '--alter',
      '--entity-type',
      'users',
      '--entity-name',
      credentials.username,
      '--add-config',
      // One mechanism per request (the broker refuses two for one user): the local mechanism.
      `SCRAM-SHA-512=[password=${credentials.password}]`,
    ],
    { what: `adding KEDA's Kafka principal ${credentials.username}` },
  );
}

/**
 * KEDA's Kafka principal as `deps up` left it (KEDA_KAFKA_PRINCIPAL_FILE), for whoever installs a
 * platform to put into its TriggerAuthentication (the tests' fixtures, `npm start`'s chart values);
 * none without a local KEDA or on a broker without SASL.
 */
export function kedaKafkaPrincipal(settings: Settings): KafkaCredentials | undefined {
  const file = settings.KEDA_KAFKA_PRINCIPAL_FILE;
  if (!file || !existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as KafkaCredentials;
}
