/**
 * The whole platform as real processes, watched by a real Prometheus: an operator (with the shipped
 * RBAC) that provisions a TicketEvent from the local API server, two allocator processes,
 * purchase-api, query-api and the analytics consumer, all against the suite's own database, topics and namespace; and a
 * Prometheus on loopback scraping each /metrics every second with the project's rule files loaded.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventKey } from '@boxoffice/inventory';
import { grantKafkaAcls, kubectl } from '@boxoffice/testkit';
import {
  allReady,
  startAllocator,
  startAnalytics,
  startPurchaseApi,
  startQueryApi,
  type ServiceOptions,
} from '../../loadtest/platform.ts';
import { stopAll, type PlatformProcess } from '../../loadtest/platform-processes.ts';
import { applyManifest, OperatorWorld, ticketEvent } from '../../operator/test/fixtures.ts';
import { OperatorProcess } from '../../operator/test/operator-process.ts';
import { readEnvFile, type Settings } from '../../scripts/deps/env-file.ts';
import { envFile, repoRoot } from '../../scripts/deps/paths.ts';
import { ruleFiles } from '../alerts/rule-files.ts';
import { PrometheusServer } from './prometheus.ts';

/** The event on sale: two ticket types over two shards, holds that expire within the run. */
export const SALE = {
  name: 'flash',
  holdTtlSeconds: 20,
  perBuyerLimit: 4,
  standard: { capacity: 100, price: 1000 },
  vip: { capacity: 20, price: 2500 },
  shards: 2,
} as const;

/** Prometheus scrapes and evaluates the rules this often: short runs still get many samples. */
export const SCRAPE_INTERVAL_SECONDS = 1;

export class ObservedPlatform {
  readonly settings: Settings = readEnvFile(envFile);
  readonly world = new OperatorWorld();
  readonly logDir = mkdtempSync(join(tmpdir(), 'boxoffice-observed-'));
  event!: EventKey;
  operator!: OperatorProcess;
  purchase!: PlatformProcess;
  query!: PlatformProcess;
  analytics!: PlatformProcess;
  allocators: PlatformProcess[] = [];
  prometheus!: PrometheusServer;

  get prefix(): string {
    return this.world.namespace;
  }

  get eventLabel(): string {
    return `${this.event.namespace}/${this.event.name}`;
  }

  async start(): Promise<this> {
    await this.world.start('obs', { operator: false });
    this.event = { namespace: this.world.namespace, name: SALE.name };
    // The components' Kafka ACLs for this suite's shared topics (the operator creates them at start).
    await grantKafkaAcls(this.prefix);
    this.operator = await new OperatorProcess(`${this.world.namespace}-operator`).start({
      ...this.world.env({ SALE_OBSERVE_INTERVAL_MS: '1000', INVENTORY_AUDIT_INTERVAL_MS: '2000' }),
      KUBECONFIG: this.world.identity.file,
      BOXOFFICE_PREFIX: this.prefix,
      LOG_LEVEL: 'info',
    });
    applyManifest(
      ticketEvent(this.event.namespace, this.event.name, {
        sales: {
          opensAt: new Date(Date.now() - 5_000).toISOString(),
          closesAt: new Date(Date.now() + 86_400_000).toISOString(),
          perBuyerLimit: SALE.perBuyerLimit,
          holdTtl: `${SALE.holdTtlSeconds}s`,
        },
        ticketTypes: [
          { name: 'standard', price: SALE.standard.price, currency: 'EUR', capacity: SALE.standard.capacity },
          { name: 'vip', price: SALE.vip.price, currency: 'EUR', capacity: SALE.vip.capacity },
        ],
        shards: SALE.shards,
        allocator: { minReplicas: 1, maxReplicas: SALE.shards, lagThreshold: 50 },
      }),
    );
    await kubectl(
      'wait',
      '--for=condition=Ready',
      '--timeout=90s',
      '-n',
      this.event.namespace,
      `tev/${this.event.name}`,
    );

    const service: ServiceOptions = {
      settings: this.settings,
      databaseUrl: this.world.databaseUrl,
      prefix: this.prefix,
      logDir: this.logDir,
    };
    for (let i = 0; i < 2; i++)
      this.allocators.push(await startAllocator(service, this.event, `allocator-${i}`));
    this.purchase = await startPurchaseApi(service);
    this.query = await startQueryApi(service);
    this.analytics = await startAnalytics(service);
    await allReady(this.processes());

    this.prometheus = await new PrometheusServer({
      bin: this.settings.PROMETHEUS_BIN!,
      ruleFiles: ruleFiles().map((file) => join(repoRoot, file)),
      scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
      targets: [
        { job: 'boxoffice-operator', address: `127.0.0.1:${this.operator.port}` },
        { job: 'boxoffice-purchase-api', address: new URL(this.purchase.url).host },
        { job: 'boxoffice-query-api', address: new URL(this.query.url).host },
        { job: 'boxoffice-analytics', address: new URL(this.analytics.url).host },
        ...this.allocators.map((a) => ({ job: 'boxoffice-allocator', address: new URL(a.url).host })),
      ],
    }).start();
    await this.prometheus.scrapedEverything();
    return this;
  }

  /** The processes other than the operator (which the suite's OperatorWorld stops last). */
  processes(): PlatformProcess[] {
    return [...this.allocators, this.purchase, this.query, this.analytics].filter(Boolean);
  }

  /** Every /metrics endpoint, by component. */
  metricsUrls(): Record<string, string> {
    return {
      operator: `http://127.0.0.1:${this.operator.port}/metrics`,
      'purchase-api': `${this.purchase.url}/metrics`,
      'query-api': `${this.query.url}/metrics`,
      analytics: `${this.analytics.url}/metrics`,
      ...Object.fromEntries(this.allocators.map((a) => [a.name, `${a.url}/metrics`])),
    };
  }

  async stop(): Promise<void> {
    await this.prometheus?.stop();
    await stopAll(this.processes());
    // The namespace goes while the operator still runs (its finalizer lets go), then the operator.
    await this.world.stop();
    if (this.operator?.running) await this.operator.terminate();
  }
}
