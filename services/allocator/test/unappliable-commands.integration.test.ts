import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newOrderId, type EventKey, type PurchaseRequested, type ShardCommand } from '@boxoffice/inventory';
import { sharedTopics } from '@boxoffice/platform/kafka';
import type { OrderReply } from '@boxoffice/platform/replies';
import {
  applyShardBatch,
  eventCounters,
  eventKeyString,
  eventTopic,
  findOrder,
  recordRejectedOrders,
} from '@boxoffice/store';
import { dependencies, eventually, uniqueName } from '@boxoffice/testkit';
import type { Consumer } from 'kafkajs';
import pg from 'pg';
import { invariantViolations, PurchasePath } from '../../purchase-api/test/purchase-path.ts';
import { eventOnSale } from '../../store/test/fixtures.ts';
import { applyIsolating, type ShardWriter } from '../src/isolated-batch.ts';

interface DeadLetter {
  key: string;
  reason: string;
  command: Partial<ShardCommand>;
}

/** Everything on the suite's dead-letter topic, as it arrives. */
async function readDeadLetters(path: PurchasePath): Promise<{ letters: DeadLetter[]; consumer: Consumer }> {
  const letters: DeadLetter[] = [];
  const consumer = path.kafka.consumer({ groupId: uniqueName('dlq-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic: sharedTopics(path.prefix).deadLetter, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      let command: Partial<ShardCommand> = {};
      try {
        command = JSON.parse(String(message.value)) as Partial<ShardCommand>;
      } catch {
        // a malformed message keeps its bytes; this suite sends none
      }
      letters.push({ key: String(message.key), reason: String(message.headers?.reason), command });
    },
  });
  return { letters, consumer };
}

function purchase(buyerId: string, overrides: Partial<PurchaseRequested> = {}): PurchaseRequested {
  return {
    v: 1,
    kind: 'purchase.requested',
    orderId: newOrderId(),
    buyerId,
    ticketType: 'standard',
    quantity: 1,
    idempotencyKey: newOrderId(),
    requestedAt: new Date().toISOString(),
    ...overrides,
  };
}

describe('an allocator given commands it cannot apply (real Kafka, PostgreSQL, Redis)', () => {
  const path = new PurchasePath();
  let dlq: Awaited<ReturnType<typeof readDeadLetters>>;

  beforeAll(async () => {
    await path.start();
    // A rule only the database knows, as a CHECK added by a later migration would be: the domain
    // holds a purchase of this buyer, PostgreSQL refuses the row (a REJECTED one it accepts).
    await path.pool.query(
      "ALTER TABLE orders ADD CONSTRAINT refuses_one_buyer CHECK (status = 'REJECTED' OR buyer_id <> 'refused-by-db')",
    );
    dlq = await readDeadLetters(path);
  });
  afterAll(async () => {
    await dlq.consumer.disconnect();
    await path.stop();
  });

  /** Produces `commands` in ONE request to `shard`, so they arrive together, in this order. */
  async function produce(event: EventKey, shard: number, commands: ShardCommand[]): Promise<void> {
    await path.producer.send({
      topic: eventTopic(event),
      messages: commands.map((c) => ({ key: c.orderId, value: JSON.stringify(c), partition: shard })),
    });
  }

  it('isolates them, rejects or dead-letters each with its reason, and answers every purchase on the shard', async () => {
    const event = eventOnSale(uniqueName('poison'), {
      shards: 2,
      ticketTypes: [{ name: 'standard', priceMinor: 2500, currency: 'EUR', capacity: 40 }],
    });
    await path.provision(event);
    await path.startAllocator(event);
    const placed = await path.orders.place({
      event,
      buyerId: 'owner',
      ticketType: 'standard',
      quantity: 1,
      idempotencyKey: newOrderId(),
    });
    expect(placed.kind).toBe('accepted');
    const hold = (await findOrder(path.pool, (placed as { order: { id: string } }).order.id))!;

    const normal = Array.from({ length: 6 }, (_, i) =>
      purchase(`buyer-${i}`, { replyTo: path.replies.channel }),
    );
    const bad = {
      unknownTicketType: purchase('buyer-x', { ticketType: 'balcony', replyTo: path.replies.channel }),
      paymentForUnknownOrder: {
        v: 1,
        kind: 'payment.confirmed',
        orderId: newOrderId(),
        providerEventId: uniqueName('pay'),
        amountMinor: 2500,
        currency: 'EUR',
      },
      releaseByAnotherBuyer: { v: 1, kind: 'release.requested', orderId: hold.id, buyerId: 'mallory' },
      expiryOfUnknownOrder: { v: 1, kind: 'hold.expire', orderId: newOrderId() },
      // Valid JSON and schema, but text PostgreSQL cannot store (SQLSTATE 22021): the DB throws.
      purchaseTheDatabaseCannotStore: purchase('nul\u0000byte', { replyTo: path.replies.channel }),
      paymentTheDatabaseCannotRead: {
        v: 1,
        kind: 'payment.confirmed',
        orderId: hold.id,
        providerEventId: 'pay\u0000ment',
        amountMinor: 2500,
        currency: 'EUR',
      },
      purchaseTheDatabaseRefuses: purchase('refused-by-db', { replyTo: path.replies.channel }),
    } satisfies Record<string, ShardCommand>;
    const interleaved: ShardCommand[] = [
      normal[0]!,
      bad.unknownTicketType,
      normal[1]!,
      bad.paymentForUnknownOrder,
      bad.releaseByAnotherBuyer,
      normal[2]!,
      bad.purchaseTheDatabaseCannotStore,
      bad.expiryOfUnknownOrder,
      normal[3]!,
      bad.paymentTheDatabaseCannotRead,
      bad.purchaseTheDatabaseRefuses,
      normal[4]!,
      normal[5]!,
    ];
    const replies = new Map(
      [...normal, bad.unknownTicketType, bad.purchaseTheDatabaseRefuses].map((c) => [
        c.orderId,
        path.replies.expect(c.orderId),
      ]),
    );
    await produce(event, hold.shard, interleaved);

    // Every normal purchase on the shard gets its answer, and it is a hold.
    const answers = new Map<string, OrderReply | undefined>();
    await Promise.all(
      [...replies].map(async ([orderId, reply]) => answers.set(orderId, await reply.wait(60_000))),
    );
    for (const c of normal) {
      expect(answers.get(c.orderId)).toMatchObject({ kind: 'held', status: 'HELD' });
      expect(await findOrder(path.pool, c.orderId)).toMatchObject({ status: 'HELD', shard: hold.shard });
    }
    // The purchase PostgreSQL refused is REJECTED with a reason, and its requester is told so.
    expect(answers.get(bad.purchaseTheDatabaseRefuses.orderId)).toMatchObject({
      kind: 'rejected',
      reason: 'cannot_apply',
    });
    expect(await findOrder(path.pool, bad.purchaseTheDatabaseRefuses.orderId)).toMatchObject({
      status: 'REJECTED',
      rejectReason: 'cannot_apply',
    });
    expect(answers.get(bad.unknownTicketType.orderId)).toMatchObject({
      kind: 'rejected',
      reason: 'unknown_ticket_type',
    });

    // Everything else is in the dead-letter topic, each once and with its reason.
    const expected: [ShardCommand, RegExp][] = [
      [bad.unknownTicketType, /^unknown_ticket_type: the event has no ticket type "balcony"/],
      [bad.paymentForUnknownOrder, /^unknown_order: payment\.confirmed names order/],
      [bad.releaseByAnotherBuyer, /^not_owner: release\.requested by mallory/],
      [
        bad.purchaseTheDatabaseCannotStore,
        /^cannot_apply: the database refused purchase .*22021.*REJECTED record: 22\w{3}/,
      ],
      [bad.expiryOfUnknownOrder, /^unknown_order: hold\.expire names order/],
      [bad.paymentTheDatabaseCannotRead, /^cannot_apply: the database refused payment\.confirmed .*22021/],
    ];
    const ours = () => dlq.letters.filter((l) => l.key === eventKeyString(event));
    await eventually(() => expect(ours()).toHaveLength(expected.length), { timeoutMs: 30_000 });
    for (const [command, reason] of expected) {
      const letters = ours().filter(
        (l) => l.command.orderId === command.orderId && l.command.kind === command.kind,
      );
      expect(letters.map((l) => l.reason)).toEqual([expect.stringMatching(reason)]);
    }
    for (const command of [
      bad.unknownTicketType,
      bad.purchaseTheDatabaseCannotStore,
      bad.expiryOfUnknownOrder,
    ])
      expect(await findOrder(path.pool, command.orderId)).toBeUndefined();

    // The hold others tried to release or pay is untouched; the shard keeps serving; nothing oversold.
    expect(await findOrder(path.pool, hold.id)).toMatchObject({ status: 'HELD' });
    for (let i = 0; i < 6; i++) {
      const later = await path.orders.place({
        event,
        buyerId: `later-${i}`,
        ticketType: 'standard',
        quantity: 1,
        idempotencyKey: newOrderId(),
      });
      expect(later).toMatchObject({ kind: 'accepted', order: { status: 'HELD' } });
    }
    expect(await invariantViolations(path.pool)).toEqual([]);
  });

  it('waits while PostgreSQL refuses connections, then applies the same commands and dead-letters none', async () => {
    const event = eventOnSale(uniqueName('outage'), {
      shards: 1,
      ticketTypes: [{ name: 'standard', priceMinor: 2500, currency: 'EUR', capacity: 40 }],
    });
    await path.provision(event);
    await path.startAllocator(event);
    const warm = await path.orders.place({
      event,
      buyerId: 'early',
      ticketType: 'standard',
      quantity: 1,
      idempotencyKey: newOrderId(),
    });
    expect(warm.kind).toBe('accepted');

    // The suite's database stops accepting connections and its open ones are terminated: what
    // an allocator sees while PostgreSQL restarts or fails over.
    const database = new URL(path.databaseUrl).pathname.slice(1);
    const admin = new pg.Client({ connectionString: dependencies().databaseUrl });
    await admin.connect();
    const allowConnections = (allow: boolean) =>
      admin.query(`ALTER DATABASE ${pg.escapeIdentifier(database)} WITH ALLOW_CONNECTIONS ${allow}`);
    try {
      await allowConnections(false);
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [database],
      );
      const commands = Array.from({ length: 5 }, (_, i) =>
        purchase(`during-${i}`, { replyTo: path.replies.channel }),
      );
      const answered = new Set<string>();
      const answers = commands.map((c) =>
        path.replies
          .expect(c.orderId)
          .wait(60_000)
          .then((reply) => {
            answered.add(c.orderId);
            return reply;
          }),
      );
      await produce(event, 0, commands);
      // Long enough for several retries (100 ms, doubling): none may answer, reject or dead-letter.
      await sleep(4_000);
      expect([...answered]).toEqual([]);

      await allowConnections(true);
      const replies = await Promise.all(answers);
      expect(replies).toEqual(commands.map(() => expect.objectContaining({ kind: 'held', status: 'HELD' })));
    } finally {
      await allowConnections(true);
      await admin.end();
    }
    // Let any dead letter the batch could have produced arrive before asserting there is none.
    await sleep(1_000);
    expect(dlq.letters.filter((l) => l.key === eventKeyString(event))).toEqual([]);
    const rejected = await path.pool.query(
      `SELECT count(*)::int AS n FROM orders o JOIN events e ON e.id = o.event_id
       WHERE e.namespace = $1 AND o.status = 'REJECTED'`,
      [event.namespace],
    );
    expect(rejected.rows[0]).toEqual({ n: 0 });
    expect(await invariantViolations(path.pool)).toEqual([]);
  });

  it('holds each purchase once when two writers isolate the same poisoned batch at once', async () => {
    // A zombie allocator after a rebalance applies the same batch as the new owner, both splitting it.
    const event = eventOnSale(uniqueName('zombie'), {
      shards: 1,
      ticketTypes: [{ name: 'standard', priceMinor: 2500, currency: 'EUR', capacity: 8 }],
    });
    await path.provision(event);
    const writer: ShardWriter = {
      apply: (group) => applyShardBatch(path.pool, event, 0, group, new Date()),
      recordRejected: (orders) => recordRejectedOrders(path.pool, event, orders),
    };
    const normal = Array.from({ length: 12 }, (_, i) => purchase(`zombie-buyer-${i}`));
    const refused = purchase('refused-by-db');
    const batch: ShardCommand[] = [
      refused,
      ...normal.slice(0, 4),
      purchase('nul\u0000byte'),
      ...normal.slice(4, 8),
      { v: 1, kind: 'hold.expire', orderId: newOrderId() },
      ...normal.slice(8),
    ];
    const [first, second] = await Promise.all([
      applyIsolating(batch, writer, { shard: 0, now: new Date() }),
      applyIsolating(batch, writer, { shard: 0, now: new Date() }),
    ]);

    const held = [...first.outcomes, ...second.outcomes]
      .filter((o) => o.kind === 'held')
      .map((o) => o.orderId);
    expect(held).toHaveLength(8);
    expect(new Set(held)).toEqual(new Set(normal.slice(0, 8).map((c) => c.orderId)));
    for (const c of normal.slice(8))
      expect(await findOrder(path.pool, c.orderId)).toMatchObject({
        status: 'REJECTED',
        rejectReason: 'sold_out',
      });
    expect(await findOrder(path.pool, refused.orderId)).toMatchObject({
      status: 'REJECTED',
      rejectReason: 'cannot_apply',
    });
    expect(await eventCounters(path.pool, event)).toEqual([
      { ticketType: 'standard', capacity: 8, held: 8, sold: 0, remaining: 0 },
    ]);
    expect(await invariantViolations(path.pool)).toEqual([]);
  });
});
