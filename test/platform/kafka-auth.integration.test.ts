import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { kafkaEnvConfig, loadConfig } from '@boxoffice/platform/config';
import { kafkaConnection, sharedTopics, type KafkaConnection } from '@boxoffice/platform/kafka';
import {
  eventually,
  grantKafkaAcls,
  kafkaAs,
  kafkaConnectionAs,
  kafkaEnforcesPrincipals,
  kafkaEnv,
  uniqueName,
  type KafkaPrincipal,
} from '@boxoffice/testkit';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { z } from 'zod';

// The local broker gives every component its own principal; an external one may not (then there
// is nothing to enforce, and nothing to test here).
const describeWithPrincipals = kafkaEnforcesPrincipals() ? describe : describe.skip;

/**
 * A client that gives up at the first refusal (the services' clients retry, which would only slow
 * this down). `logs` collects kafkajs's debug log, where it records refusals it does not rethrow.
 */
function client(connection: KafkaConnection, logs?: string[]): Kafka {
  return new Kafka({
    ...connection,
    clientId: uniqueName('auth'),
    retry: { retries: 0 },
    logLevel: logs ? logLevel.DEBUG : logLevel.NOTHING,
    logCreator: () => (entry) => void logs?.push(JSON.stringify(entry.log)),
  });
}
const as = (principal: KafkaPrincipal, logs?: string[]): Kafka => client(kafkaConnectionAs(principal), logs);

/** Error codes of a refused request, wherever kafkajs put them (aggregate, cause, retry wrapper). */
function codes(error: unknown): string {
  const found: string[] = [];
  const walk = (e: unknown): void => {
    if (!e || typeof e !== 'object') return;
    const { type, name, message, errors, cause, originalError } = e as Record<string, unknown>;
    found.push(String(type ?? ''), String(name ?? ''), String(message ?? ''));
    for (const inner of [...(Array.isArray(errors) ? errors : []), cause, originalError]) walk(inner);
  };
  walk(error);
  return found.filter(Boolean).join(' | ');
}

async function refused(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    return codes(error);
  }
  throw new Error('the broker accepted a request it should have refused');
}

describeWithPrincipals('Kafka authentication and ACLs (real broker, SASL/SCRAM + StandardAuthorizer)', () => {
  const prefix = uniqueName('kauth');
  const topic = `boxoffice.purchases.${prefix}.concert`;
  const shared = sharedTopics(prefix);
  const open: (Admin | Producer | Consumer)[] = [];
  const connect = async <T extends Admin | Producer | Consumer>(c: T): Promise<T> => {
    open.push(c);
    await c.connect();
    return c;
  };

  beforeAll(async () => {
    await grantKafkaAcls(prefix);
    const operator = await connect(as('operator').admin());
    // The operator creates purchase topics and the shared ones: its ACLs allow exactly that.
    await operator.createTopics({
      topics: [{ topic, numPartitions: 2 }, { topic: shared.orderEvents }, { topic: shared.deadLetter }],
      waitForLeaders: true,
    });
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.disconnect().catch(() => undefined)));
  });

  it('refuses a client that does not authenticate', async () => {
    const { brokers } = kafkaConnectionAs('admin');
    const admin = await connect(client({ brokers }).admin());
    expect(await refused(() => admin.listTopics())).toMatch(/closed connection/i);
  });

  it('refuses a known username with a wrong password', async () => {
    const connection = kafkaConnectionAs('purchase-api');
    const wrong = { ...connection, sasl: { ...connection.sasl!, password: 'not-the-password' } };
    expect(await refused(() => connect(client(wrong).admin()))).toMatch(
      /KafkaJSSASLAuthenticationError.*invalid credentials/,
    );
  });

  it('accepts SCRAM-SHA-256 as well as SCRAM-SHA-512', async () => {
    const env = { ...kafkaEnv('purchase-api'), KAFKA_SASL_MECHANISM: 'scram-sha-256' };
    const connection = kafkaConnection(loadConfig(z.object(kafkaEnvConfig), env));
    expect(connection.sasl?.mechanism).toBe('scram-sha-256');
    const admin = await connect(client(connection).admin());
    expect(await admin.listTopics()).toContain(topic);
  });

  it('connects over TLS verified against the configured CA, and refuses a broker certificate it cannot verify', async () => {
    const admin = await connect(kafkaAs('purchase-api', uniqueName('tls'), { tls: true }).admin());
    expect(await admin.listTopics()).toContain(topic);
    // Without KAFKA_TLS_CA_FILE the system CAs do not know the local CA: verification is on.
    const { KAFKA_TLS_CA_FILE: _ca, ...withoutCa } = kafkaEnv('purchase-api', { tls: true });
    const unverified = kafkaConnection(loadConfig(z.object(kafkaEnvConfig), withoutCa));
    expect(await refused(() => connect(client(unverified).admin()))).toMatch(
      /unable to verify|self[- ]signed|UNABLE_TO_VERIFY/i,
    );
  });

  it("lets purchase-api's principal produce to purchase topics, but not consume them or write order events", async () => {
    const producer = await connect(as('purchase-api').producer());
    await producer.send({ topic, messages: [{ partition: 0, value: 'from purchase-api' }] });

    expect(
      await refused(() => producer.send({ topic: shared.orderEvents, messages: [{ value: 'forged' }] })),
    ).toMatch(/TOPIC_AUTHORIZATION_FAILED/);

    // It may not join the allocators' group (nor any other) to read the commands. kafkajs reports
    // "no group coordinator" and logs the broker's refusal underneath.
    const logs: string[] = [];
    const consumer = as('purchase-api', logs).consumer({ groupId: `boxoffice-allocator.${prefix}.concert` });
    const crash = new Promise<unknown>((resolve) =>
      consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error)),
    );
    await connect(consumer);
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void received.push(String(message.value)) });
    await crash;
    expect(logs.join('\n')).toMatch(/GROUP_AUTHORIZATION_FAILED/);
    expect(received).toEqual([]);

    // The allocator's principal, in the same group, reads what purchase-api produced.
    const allocator = await connect(
      as('allocator').consumer({ groupId: `boxoffice-allocator.${prefix}.concert` }),
    );
    await allocator.subscribe({ topic, fromBeginning: true });
    const read: string[] = [];
    await allocator.run({ eachMessage: async ({ message }) => void read.push(String(message.value)) });
    await eventually(() => expect(read).toEqual(['from purchase-api']), { timeoutMs: 60_000 });
  });

  it("lets the allocator's principal write order events and dead letters, but not create or delete topics", async () => {
    // Idempotent, as the allocator's producer is (which needs retries).
    const producer = await connect(
      kafkaAs('allocator', uniqueName('allocator')).producer({ idempotent: true, maxInFlightRequests: 1 }),
    );
    await producer.send({ topic: shared.orderEvents, messages: [{ value: 'order event' }] });
    await producer.send({ topic: shared.deadLetter, messages: [{ value: 'dead letter' }] });

    const admin = await connect(as('allocator').admin());
    expect(
      await refused(() => admin.createTopics({ topics: [{ topic: `boxoffice.purchases.${prefix}.other` }] })),
    ).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
    expect(await refused(() => admin.deleteTopics({ topics: [topic], timeout: 5_000 }))).toMatch(
      /TOPIC_AUTHORIZATION_FAILED/,
    );
    expect(await (await connect(as('admin').admin())).listTopics()).not.toContain(
      `boxoffice.purchases.${prefix}.other`,
    );
  });

  it("refuses the operator's principal writes to purchase topics, and topics outside its prefixes", async () => {
    const producer = await connect(as('operator').producer());
    expect(
      await refused(() => producer.send({ topic, messages: [{ partition: 0, value: 'forged' }] })),
    ).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
    const admin = await connect(as('operator').admin());
    expect(
      await refused(() => admin.createTopics({ topics: [{ topic: uniqueName('not-boxoffice') }] })),
    ).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
  });
});
