import { signLocalToken } from '@boxoffice/platform/auth/jwt';
import type { RunningHttpServer } from '@boxoffice/platform/http/app';
import { dependencies, eventually, uniqueName } from '@boxoffice/testkit';
import { findOrder } from '@boxoffice/store';
import { newOrderId } from '@boxoffice/inventory';
import { SignJWT } from 'jose';
import { PurchasePath } from '../../services/purchase-api/test/purchase-path.ts';
import { purchaseApiConfig } from '../../services/purchase-api/src/config.ts';
import { createPurchaseApi } from '../../services/purchase-api/src/service.ts';
import { queryApiConfig } from '../../services/query-api/src/config.ts';
import { createQueryApi } from '../../services/query-api/src/service.ts';
import { eventOnSale } from '../../services/store/test/fixtures.ts';

const jwtSecret = 'a-fuzz-secret-that-is-at-least-32-characters-long';
export const webhookSecret = 'fuzz-webhook-secret-0123456789';

/**
 * purchase-api and query-api served over HTTP on loopback, wired to the real PostgreSQL, Redis and
 * Kafka through the purchase path (an allocator runs for the event), as the fuzzer meets them: one
 * event on sale, a buyer with a confirmed order (so tickets exist to read) and tokens of that buyer
 * and of the event's organizer. Rate limits are far above what the fuzzer sends: a 429 would hide
 * the answer under test.
 */
export class FuzzPlatform {
  readonly path = new PurchasePath();
  readonly event = eventOnSale(uniqueName('fuzz'), {
    name: 'fuzz-gig',
    shards: 2,
    ticketTypes: [{ name: 'standard', priceMinor: 2500, currency: 'EUR', capacity: 100_000 }],
    sales: { ...eventOnSale('x').sales, perBuyerLimit: 1000, holdTtlSeconds: 600 },
  });
  readonly buyerId = uniqueName('fuzz-buyer');
  buyerToken!: string;
  organizerToken!: string;
  purchaseUrl!: string;
  queryUrl!: string;
  paidOrderId!: string;
  private servers: RunningHttpServer[] = [];
  private stops: (() => unknown)[] = [];

  async start(): Promise<this> {
    await this.path.start();
    await this.path.provision(this.event);
    await this.path.startAllocator(this.event);
    const deps = dependencies();
    const env = {
      DATABASE_URL: this.path.databaseUrl,
      REDIS_URL: deps.redisUrl,
      KAFKA_BROKERS: deps.kafkaBrokers.join(','),
      BOXOFFICE_PREFIX: this.path.prefix,
      JWT_SECRET: jwtSecret,
      RATE_LIMIT_PER_BUYER_PER_SECOND: '100000',
      RATE_LIMIT_PER_IP_PER_SECOND: '100000',
    };
    const purchase = await createPurchaseApi({
      config: purchaseApiConfig.parse({ ...env, WEBHOOK_SECRET: webhookSecret }),
      pool: this.path.pool,
      redis: this.path.redis,
      producer: this.path.producer,
      logger: this.path.logger,
    });
    const query = createQueryApi({
      config: queryApiConfig.parse(env),
      pool: this.path.pool,
      redis: this.path.redis,
      logger: this.path.logger,
    });
    const purchaseServer = await purchase.http.listen({ port: 0, host: '127.0.0.1' });
    const queryServer = await query.http.listen({ port: 0, host: '127.0.0.1' });
    this.servers.push(purchaseServer, queryServer);
    this.stops.push(purchase.stop, query.stop);
    this.purchaseUrl = purchaseServer.url;
    this.queryUrl = queryServer.url;

    this.buyerToken = await signLocalToken({
      secret: jwtSecret,
      issuer: 'boxoffice-local',
      audience: 'boxoffice',
      buyerId: this.buyerId,
      expiresIn: '6h',
    });
    this.organizerToken = await new SignJWT({
      roles: [{ role: 'organizer', namespaces: [this.event.namespace] }],
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(uniqueName('fuzz-organizer'))
      .setIssuer('boxoffice-local')
      .setAudience('boxoffice')
      .setExpirationTime('6h')
      .sign(new TextEncoder().encode(jwtSecret));
    this.paidOrderId = await this.paidOrder();
    return this;
  }

  /** A confirmed order of the buyer, with its tickets issued. */
  private async paidOrder(): Promise<string> {
    const placed = await this.path.orders.place({
      event: this.event,
      buyerId: this.buyerId,
      ticketType: 'standard',
      quantity: 2,
      idempotencyKey: newOrderId(),
    });
    if (placed.kind !== 'accepted') throw new Error(`the fuzz platform's order was ${placed.kind}`);
    const orderId = placed.order.id;
    const paid = await this.path.orders.payment({
      providerEventId: uniqueName('fuzz-pay'),
      orderId,
      outcome: 'succeeded',
      amountMinor: 5000,
      currency: 'EUR',
    });
    if (paid !== 'accepted') throw new Error(`the fuzz platform's payment was ${paid}`);
    await eventually(async () => {
      if ((await findOrder(this.path.pool, orderId))?.status !== 'CONFIRMED')
        throw new Error('order not confirmed yet');
    });
    return orderId;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.close({ drainDelayMs: 0, timeoutMs: 2_000 })));
    for (const stop of this.stops) await stop();
    await this.path.stop();
  }
}
