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
  /** Where the original came from (headers), and its bytes. */
  source: { partition: string; offset: string };
  value: Buffer | null;
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
        // a malformed message: its bytes are in `value`
      }
      letters.push({
        key: String(message.key),
        reason: String(message.headers?.reason),
        command,
        source: {
          partition: String(message.headers?.['source-partition']),
          offset: String(message.headers?.['source-offset']),
        },
        value: message.value,
      });
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

  it('dead-letters every malformed message with its reason and its bytes, and applies the commands around them', async () => {
    const event = eventOnSale(uniqueName('malformed'), {
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
    const shard = hold.shard;
    const otherShard = 1 - shard;

    const valid = (buyer: string) => purchase(buyer, { replyTo: path.replies.channel });
    const json = (value: unknown) => JSON.stringify(value);
    const { v: _v, ...withoutVersion } = valid('x');
    const { buyerId: _b, ...withoutBuyer } = valid('x');
    const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    // Every kind of message that is not a command of this shard, with the reason it must be given.
    const malformed: { name: string; value: Buffer | string | null; key?: string; reason: RegExp }[] = [
      { name: 'not JSON', value: '{"v":1,"kind":"purchase.requested"', reason: /^not JSON: / },
      { name: 'empty value (tombstone)', value: null, reason: /^empty message value$/ },
      { name: 'empty string', value: '', reason: /^not JSON: / },
      { name: 'invalid UTF-8', value: Buffer.from([0xff, 0xfe, 0x7b, 0xc3, 0x28]), reason: /^not JSON: / },
      { name: 'a JSON number', value: '42', reason: /^\(root\): / },
      { name: 'JSON null', value: 'null', reason: /^\(root\): / },
      { name: 'a JSON array', value: json([valid('in-array')]), reason: /^\(root\): / },
      { name: 'unknown version', value: json({ ...valid('v2'), v: 2 }), reason: /^v: / },
      { name: 'no version', value: json(withoutVersion), reason: /^v: / },
      { name: 'unknown kind', value: json({ ...valid('k'), kind: 'purchase.cancelled' }), reason: /^kind: / },
      { name: 'quantity as a string', value: json({ ...valid('q'), quantity: '2' }), reason: /^quantity: / },
      { name: 'order id as a number', value: json({ ...valid('o'), orderId: 42 }), reason: /^orderId: / },
      {
        name: 'order id not a UUID',
        value: json({ ...valid('o'), orderId: 'order-1' }),
        reason: /^orderId: /,
      },
      { name: 'missing buyer', value: json(withoutBuyer), reason: /^buyerId: / },
      {
        name: 'an unknown field',
        value: json({ ...valid('u'), admin: true }),
        reason: /^\(root\): Unrecognized key/,
      },
      { name: 'a huge quantity', value: json({ ...valid('h'), quantity: 1e308 }), reason: /^quantity: / },
      { name: 'a fractional quantity', value: json({ ...valid('f'), quantity: 1.5 }), reason: /^quantity: / },
      { name: 'a negative quantity', value: json({ ...valid('n'), quantity: -3 }), reason: /^quantity: / },
      {
        name: 'a huge buyer id',
        value: json({ ...valid('x'), buyerId: 'x'.repeat(100_000) }),
        reason: /^buyerId: /,
      },
      {
        name: 'a huge message (900 KB)',
        value: json({ ...valid('big'), idempotencyKey: 'k'.repeat(900_000) }),
        reason: /^idempotencyKey: /,
      },
      {
        name: '20,000 unknown fields',
        value: json({
          ...valid('wide'),
          ...Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`f${i}`, i])),
        }),
        reason: /^\(root\): Unrecognized keys/,
      },
      { name: 'deeply nested JSON', value: nested(100_000), reason: /^kind: Invalid discriminator/ },
      {
        name: 'a __proto__ field',
        value: `{"__proto__":{"polluted":true},${json(valid('proto')).slice(1)}`,
        reason: /^\(root\): Unrecognized key/,
      },
      {
        name: 'a key naming another order',
        value: json(valid('rekeyed')),
        key: newOrderId(),
        reason: /^key_mismatch: /,
      },
    ];
    const before = Array.from({ length: 3 }, (_, i) => valid(`before-${i}`));
    const after = Array.from({ length: 3 }, (_, i) => valid(`after-${i}`));
    const replies = new Map([...before, ...after].map((c) => [c.orderId, path.replies.expect(c.orderId)]));

    // One send each (a 900 KB message fills a produce request alone), in this order, on the shard.
    const offsets = new Map<string, string>();
    const send = async (name: string, value: Buffer | string | null, key: string | null) => {
      const [meta] = await path.producer.send({
        topic: eventTopic(event),
        messages: [{ key, value, partition: shard }],
      });
      offsets.set(name, meta!.baseOffset!);
    };
    for (const c of before) await send(c.orderId, json(c), c.orderId);
    for (const m of malformed) await send(m.name, m.value, m.key ?? null);
    // A command of the right shape on the wrong partition: the hold lives on the other shard.
    const misrouted: ShardCommand = { v: 1, kind: 'release.requested', orderId: hold.id, buyerId: 'owner' };
    const [misroutedMeta] = await path.producer.send({
      topic: eventTopic(event),
      messages: [{ key: hold.id, value: json(misrouted), partition: otherShard }],
    });
    for (const c of after) await send(c.orderId, json(c), c.orderId);

    // The valid commands before and after are applied and answered.
    for (const [orderId, reply] of replies) {
      expect(await reply.wait(60_000)).toMatchObject({ kind: 'held', status: 'HELD' });
      expect(await findOrder(path.pool, orderId)).toMatchObject({ status: 'HELD', shard });
    }
    // Every malformed message is dead-lettered once, with its reason, its source and its bytes.
    const ours = () => dlq.letters.filter((l) => l.key === eventKeyString(event));
    await eventually(() => expect(ours()).toHaveLength(malformed.length + 1), { timeoutMs: 60_000 });
    for (const m of malformed) {
      const letters = ours().filter(
        (l) => l.source.partition === String(shard) && l.source.offset === offsets.get(m.name),
      );
      expect({ name: m.name, reasons: letters.map((l) => l.reason) }).toEqual({
        name: m.name,
        reasons: [expect.stringMatching(m.reason)],
      });
      // A reason is for a person to read: bounded, however large the message.
      expect({ name: m.name, reasonLength: letters[0]!.reason.length < 1_100 }).toEqual({
        name: m.name,
        reasonLength: true,
      });
      expect(letters[0]!.value === null ? null : Buffer.from(letters[0]!.value)).toEqual(
        m.value === null ? null : Buffer.from(m.value),
      );
    }
    expect(
      ours()
        .filter((l) => l.source.partition === String(otherShard))
        .map((l) => [l.source.offset, l.reason]),
    ).toEqual([[misroutedMeta!.baseOffset, expect.stringMatching(/^unknown_order: release\.requested/)]]);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();

    // Nothing else changed: the hold is untouched, no row came from a malformed message, the shard
    // keeps serving, and the counters add up.
    expect(await findOrder(path.pool, hold.id)).toMatchObject({ status: 'HELD' });
    const rows = await path.pool.query<{ buyer_id: string }>(
      `SELECT o.buyer_id FROM orders o JOIN events e ON e.id = o.event_id WHERE e.namespace = $1`,
      [event.namespace],
    );
    expect(rows.rows.map((r) => r.buyer_id).sort()).toEqual(
      ['owner', ...before.map((c) => c.buyerId), ...after.map((c) => c.buyerId)].sort(),
    );
    const later = await path.orders.place({
      event,
      buyerId: 'later',
      ticketType: 'standard',
      quantity: 1,
      idempotencyKey: newOrderId(),
    });
    expect(later).toMatchObject({ kind: 'accepted', order: { status: 'HELD' } });
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
