import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka as KafkaClient, logLevel } from 'kafkajs';
import type { Settings } from './env-file.ts';
import { grantComponentAcls } from './kafka-acls.ts';
import { ensureKafkaTls } from './kafka-tls.ts';
import {
  completeKafkaUsers,
  componentUsernames,
  createKafkaUsers,
  externalKafkaSettings,
  kafkaConnectionFor,
  readKafkaUsers,
  writeKafkaUsers,
  type KafkaPrincipal,
  type KafkaUsers,
} from './kafka-users.ts';
import type { Part } from './part.ts';
import { PartState } from './part-state.ts';
import { cacheDir, repoRoot } from './paths.ts';
import { requireCommand } from './prerequisites.ts';
import { freePort, run, startDaemon, waitUntil } from './processes.ts';

/** Must match tools/kafka/pom.xml. */
export const KAFKA_VERSION = '4.1.2';
const pomDir = join(repoRoot, 'tools', 'kafka');
export const kafkaLibDir = join(cacheDir, `kafka-${KAFKA_VERSION}`, 'libs');
export const kafkaJavaOptions = [
  '-Xms256m',
  '-Xmx768m',
  `-Dlog4j2.configurationFile=${join(pomDir, 'log4j2.properties')}`,
];
const SCRAM_MECHANISMS = ['SCRAM-SHA-512', 'SCRAM-SHA-256'] as const;

function hasLibs(): boolean {
  return (
    existsSync(kafkaLibDir) &&
    readdirSync(kafkaLibDir).some((file) => file.startsWith(`kafka_2.13-${KAFKA_VERSION}`))
  );
}

const scramLogin = (credentials?: { username: string; password: string }): string =>
  `org.apache.kafka.common.security.scram.ScramLoginModule required${
    credentials ? ` username="${credentials.username}" password="${credentials.password}"` : ''
  };`;

/**
 * The broker's configuration: single node in KRaft combined mode, every listener authenticated and
 * every request authorized (StandardAuthorizer, no ACL = refused). Clients use SCRAM on CLIENT
 * (SASL_PLAINTEXT) or TLS (SASL_SSL); the controller listener uses PLAIN, as KRaft requires.
 */
function serverProperties(options: {
  port: number;
  tlsPort: number;
  controllerPort: number;
  dataDir: string;
  keystoreFile: string;
  users: KafkaUsers;
}): string {
  const { users } = options;
  const controller = users.controller;
  const listenerJaas = (listener: string, broker?: KafkaUsers['broker']): string[] =>
    SCRAM_MECHANISMS.map(
      (mechanism) =>
        `listener.name.${listener}.${mechanism.toLowerCase()}.sasl.jaas.config=${scramLogin(
          mechanism === 'SCRAM-SHA-512' ? broker : undefined,
        )}`,
    );
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${options.controllerPort}`,
    `listeners=CLIENT://127.0.0.1:${options.port},TLS://127.0.0.1:${options.tlsPort},CONTROLLER://127.0.0.1:${options.controllerPort}`,
    `advertised.listeners=CLIENT://127.0.0.1:${options.port},TLS://127.0.0.1:${options.tlsPort}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,TLS:SASL_SSL,CONTROLLER:SASL_PLAINTEXT',
    'inter.broker.listener.name=CLIENT',
    `sasl.enabled.mechanisms=${SCRAM_MECHANISMS.join(',')}`,
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    ...listenerJaas('client', users.broker),
    ...listenerJaas('tls'),
    'listener.name.tls.ssl.keystore.type=PEM',
    `listener.name.tls.ssl.keystore.location=${options.keystoreFile}`,
    'sasl.mechanism.controller.protocol=PLAIN',
    'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
    `listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${controller.username}" password="${controller.password}" user_${controller.username}="${controller.password}";`,
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    // The admin is for `deps` and tests that inspect topics; components get ACLs (kafka-acls.ts).
    `super.users=${[controller, users.broker, users.principals.admin].map((u) => `User:${u.username}`).join(';')}`,
    'allow.everyone.if.no.acl.found=false',
    ...singleNodeSettings(options.dataDir),
    '',
  ].join('\n');
}

/** What a single-node KRaft broker on loopback needs whatever its listeners (also the fault suite's broker). */
export function singleNodeSettings(dataDir: string): string[] {
  return [
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=8',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // The group coordinator otherwise waits 5 ms to batch offset commits; every allocator
    // batch commits once, so that wait would sit on the purchase path's latency.
    'group.coordinator.append.linger.ms=0',
    'auto.create.topics.enable=false',
  ];
}

export class Kafka implements Part {
  readonly name = 'kafka';
  private readonly state = new PartState('kafka', ['kafka']);

  /** An existing broker (KAFKA_BROKERS), with whatever authentication the KAFKA_* env vars give. */
  external(): Settings | undefined {
    return process.env.KAFKA_BROKERS ? externalKafkaSettings(process.env) : undefined;
  }

  async ensure(): Promise<void> {
    requireCommand('java', 'install a Java 17+ runtime (Debian: openjdk-17-jre-headless)');
    if (hasLibs()) return;
    requireCommand(
      'mvn',
      'install Maven (Debian: maven) so the Kafka jars can be resolved from Maven Central',
    );
    console.error(
      `boxoffice deps: resolving Apache Kafka ${KAFKA_VERSION} from Maven Central into ${kafkaLibDir}`,
    );
    run(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        join(pomDir, 'pom.xml'),
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${kafkaLibDir}`,
      ],
      {
        what: `resolving Kafka ${KAFKA_VERSION} with Maven`,
      },
    );
  }

  running(): boolean {
    return this.state.running();
  }

  async up(): Promise<Settings> {
    const saved = this.state.savedSettings();
    if (saved && this.running()) {
      if (saved.KAFKA_USERS_FILE) {
        await this.addMissingUsers(saved);
        await this.grantLocalAcls(saved);
        return saved;
      }
      // Started by an older checkout without authentication: restart it with SASL and ACLs.
      await this.state.stopAll();
    }
    const dataDir = join(this.state.dir, 'data');
    const users = this.localUsers(dataDir);
    const tls = ensureKafkaTls(join(this.state.dir, 'tls'));
    const [port, tlsPort, controllerPort] = [await freePort(), await freePort(), await freePort()];
    const config = join(this.state.dir, 'server.properties');
    writeFileSync(
      config,
      serverProperties({ port, tlsPort, controllerPort, dataDir, keystoreFile: tls.keystoreFile, users }),
      { mode: 0o600 },
    );
    chmodSync(config, 0o600);
    const classpath = `${kafkaLibDir}/*`;
    if (!existsSync(join(dataDir, 'meta.properties'))) {
      mkdirSync(dataDir, { recursive: true });
      // SCRAM credentials live in the cluster metadata; KRaft bootstraps them at format time.
      const scram = [users.broker, ...Object.values(users.principals)].flatMap(({ username, password }) =>
        SCRAM_MECHANISMS.flatMap((mechanism) => [
          '-S',
          `${mechanism}=[name=${username},password=${password}]`,
        ]),
      );
      run(
        'java',
        [
          ...kafkaJavaOptions,
          '-cp',
          classpath,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          'Ym94b2ZmaWNlLWxvY2FsAA',
          '-c',
          config,
          ...scram,
        ],
        {
          what: 'formatting Kafka storage',
        },
      );
    }
    const logFile = this.state.logFile('kafka');
    const pid = startDaemon({
      name: 'kafka',
      command: 'java',
      args: [...kafkaJavaOptions, '-cp', classpath, 'kafka.Kafka', config],
      logFile,
      pidFile: this.state.pidFile('kafka'),
    });
    // Passwords stay in the users file; the settings (deps.env) only point at it.
    const settings: Settings = {
      KAFKA_BROKERS: `127.0.0.1:${port}`,
      KAFKA_USERS_FILE: this.usersFile,
      KAFKA_SASL_SSL_BROKERS: `127.0.0.1:${tlsPort}`,
      KAFKA_SASL_SSL_CA_FILE: tls.caFile,
      KAFKA_VERSION,
    };
    await waitUntil('Kafka', () => this.metadataReady(settings), { timeoutMs: 90_000, pid, logFile });
    await this.addMissingUsers(settings);
    await this.grantLocalAcls(settings);
    this.state.saveSettings(settings);
    return settings;
  }

  private get usersFile(): string {
    return join(this.state.dir, 'users.json');
  }

  /**
   * This state directory's principals, made on first use. Storage formatted before they existed
   * (an older checkout ran without authentication) has no SCRAM credentials, so it starts afresh.
   */
  private localUsers(dataDir: string): KafkaUsers {
    if (existsSync(this.usersFile)) {
      const known = readKafkaUsers(this.usersFile);
      // Storage formatted afresh gets every principal at format time; otherwise addMissingUsers does.
      if (!existsSync(join(dataDir, 'meta.properties'))) {
        const { users } = completeKafkaUsers(known);
        writeKafkaUsers(this.usersFile, users);
        return users;
      }
      return known;
    }
    if (existsSync(dataDir)) {
      console.error(
        'boxoffice deps: Kafka data predates authentication; starting the broker with empty storage',
      );
      rmSync(dataDir, { recursive: true, force: true });
    }
    const users = createKafkaUsers();
    writeKafkaUsers(this.usersFile, users);
    return users;
  }

  /**
   * SCRAM credentials live in the cluster metadata, bootstrapped when storage is formatted: a
   * component added since (a users file from an older checkout) gets its credentials on the running
   * broker through the kafka-configs tool, as the admin. The users file is written only after that
   * succeeds, so an interrupted run adds them again next time (the tool's alter is an upsert).
   */
  private async addMissingUsers(settings: Settings): Promise<void> {
    const known = readKafkaUsers(settings.KAFKA_USERS_FILE!);
    const { users, added } = completeKafkaUsers(known);
    if (added.length === 0) return;
    console.error(`boxoffice deps: adding Kafka principals ${added.join(', ')} to the running broker`);
    const commandConfig = join(this.state.dir, 'admin-client.properties');
    writeFileSync(
      commandConfig,
      [
        'security.protocol=SASL_PLAINTEXT',
        'sasl.mechanism=SCRAM-SHA-512',
        `sasl.jaas.config=${scramLogin(users.principals.admin)}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    for (const principal of added satisfies KafkaPrincipal[]) {
      const { username, password } = users.principals[principal];
      // One mechanism per request: the broker refuses two alterations of one user's credentials in one.
      for (const mechanism of SCRAM_MECHANISMS)
        run(
          'java',
          [
            ...kafkaJavaOptions,
            '-cp',
            `${kafkaLibDir}/*`,
            'kafka.admin.ConfigCommand',
            '--bootstrap-server',
            settings.KAFKA_BROKERS!,
            '--command-config',
            commandConfig,
            '--alter',
            '--entity-type',
            'users',
            '--entity-name',
            username,
            '--add-config',
            `${mechanism}=[password=${password}]`,
          ],
          { what: `adding the Kafka principal ${username} (${mechanism})` },
        );
    }
    writeKafkaUsers(settings.KAFKA_USERS_FILE!, users);
  }

  /** The components' ACLs for the default installation (no BOXOFFICE_PREFIX), as `npm start` runs it. */
  private async grantLocalAcls(settings: Settings): Promise<void> {
    const users = readKafkaUsers(settings.KAFKA_USERS_FILE!);
    const admin = this.adminClient(settings);
    await admin.connect();
    try {
      await grantComponentAcls(admin, '', componentUsernames(users));
    } finally {
      await admin.disconnect();
    }
  }

  async down(): Promise<void> {
    await this.state.stopAll();
  }

  async version(settings: Settings): Promise<string> {
    // The protocol does not report a release; the version is the one this script started.
    const release = settings.KAFKA_VERSION ?? '(external, version not reported by the broker)';
    const auth = settings.KAFKA_USERS_FILE
      ? 'SASL/SCRAM, ACLs per component'
      : settings.KAFKA_SASL_MECHANISM
        ? `${settings.KAFKA_SASL_MECHANISM}, one principal for every client`
        : 'no authentication: local development only';
    return `Apache Kafka ${release} (${auth})`;
  }

  private adminClient(settings: Settings): ReturnType<KafkaClient['admin']> {
    return new KafkaClient({
      ...kafkaConnectionFor(settings, 'admin'),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
  }

  private async metadataReady(settings: Settings): Promise<boolean> {
    const admin = this.adminClient(settings);
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0 && cluster.controller !== null;
    } finally {
      await admin.disconnect();
    }
  }
}
