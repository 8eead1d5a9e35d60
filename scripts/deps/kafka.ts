import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka as KafkaClient, logLevel } from 'kafkajs';
import type { Settings } from './env-file.ts';
import type { Part } from './part.ts';
import { PartState } from './part-state.ts';
import { cacheDir, repoRoot } from './paths.ts';
import { requireCommand } from './prerequisites.ts';
import { freePort, run, startDaemon, waitUntil } from './processes.ts';

/** Must match tools/kafka/pom.xml. */
export const KAFKA_VERSION = '4.1.2';
const pomDir = join(repoRoot, 'tools', 'kafka');
const libDir = join(cacheDir, `kafka-${KAFKA_VERSION}`, 'libs');
const javaOptions = [
  '-Xms256m',
  '-Xmx768m',
  `-Dlog4j2.configurationFile=${join(pomDir, 'log4j2.properties')}`,
];

function hasLibs(): boolean {
  return (
    existsSync(libDir) && readdirSync(libDir).some((file) => file.startsWith(`kafka_2.13-${KAFKA_VERSION}`))
  );
}

export class Kafka implements Part {
  readonly name = 'kafka';
  private readonly state = new PartState('kafka', ['kafka']);

  external(): Settings | undefined {
    return process.env.KAFKA_BROKERS ? { KAFKA_BROKERS: process.env.KAFKA_BROKERS } : undefined;
  }

  async ensure(): Promise<void> {
    requireCommand('java', 'install a Java 17+ runtime (Debian: openjdk-17-jre-headless)');
    if (hasLibs()) return;
    requireCommand(
      'mvn',
      'install Maven (Debian: maven) so the Kafka jars can be resolved from Maven Central',
    );
    console.error(
      `boxoffice deps: resolving Apache Kafka ${KAFKA_VERSION} from Maven Central into ${libDir}`,
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
        `-DoutputDirectory=${libDir}`,
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
    if (saved && this.running()) return saved;
    const [port, controllerPort] = [await freePort(), await freePort()];
    const dataDir = join(this.state.dir, 'data');
    const config = join(this.state.dir, 'server.properties');
    // Single node in KRaft combined mode; replication factors of 1 for the internal topics.
    writeFileSync(
      config,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
        `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
        'controller.listener.names=CONTROLLER',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'inter.broker.listener.name=PLAINTEXT',
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
        '',
      ].join('\n'),
    );
    const classpath = `${libDir}/*`;
    if (!existsSync(join(dataDir, 'meta.properties'))) {
      mkdirSync(dataDir, { recursive: true });
      run(
        'java',
        [
          ...javaOptions,
          '-cp',
          classpath,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          'Ym94b2ZmaWNlLWxvY2FsAA',
          '-c',
          config,
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
      args: [...javaOptions, '-cp', classpath, 'kafka.Kafka', config],
      logFile,
      pidFile: this.state.pidFile('kafka'),
    });
    const brokers = `127.0.0.1:${port}`;
    await waitUntil('Kafka', () => this.metadataReady(brokers), { timeoutMs: 90_000, pid, logFile });
    const settings = { KAFKA_BROKERS: brokers, KAFKA_VERSION };
    this.state.saveSettings(settings);
    return settings;
  }

  async down(): Promise<void> {
    await this.state.stopAll();
  }

  async version(settings: Settings): Promise<string> {
    // The protocol does not report a release; the version is the one this script started.
    return `Apache Kafka ${settings.KAFKA_VERSION ?? '(external, version not reported by the broker)'}`;
  }

  private async metadataReady(brokers: string): Promise<boolean> {
    const admin = new KafkaClient({
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0 && cluster.controller !== null;
    } finally {
      await admin.disconnect();
    }
  }
}
