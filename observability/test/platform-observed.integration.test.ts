import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '@boxoffice/testkit';
import { invariantViolations, shardCounters } from '@boxoffice/store';
import { committedDashboards } from '../dashboards/files.ts';
import { queryPanels, type DashboardJson } from '../dashboards/panel-targets.ts';
import { dashboardPicture, escapeXml } from '../dashboards/picture.ts';
import { evaluateDashboard, panelDataOf, type TargetResult } from './dashboard-queries.ts';
import { ObservedPlatform, SALE } from './observed-platform.ts';
import { chosen, purchaseRun, runWindow, type PurchaseRun } from './purchase-run.ts';

/** `promtool check metrics` on a /metrics text: its exit code and complaints. */
function promtoolCheck(bin: string, text: string): { code: number | null; output: string } {
  const result = spawnSync(bin, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { code: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

/** One value per series of an instant query, keyed by the chosen labels. */
async function instant(platform: ObservedPlatform, expr: string, key: (m: Record<string, string>) => string) {
  const result = await platform.prometheus.query(expr);
  return Object.fromEntries(result.map((r) => [key(r.metric), Number(r.value[1])]));
}

describe('the platform under a real Prometheus, after a short purchase run (every process real)', () => {
  const platform = new ObservedPlatform();
  let run: PurchaseRun;

  beforeAll(async () => {
    await platform.start();
    run = await purchaseRun(platform);
    console.log(
      `purchase run: k6 exit ${run.k6ExitCode}, ${run.holds} holds, ${run.soldOut} sold out, ` +
        `${Math.round(run.endedAt - run.startedAt)} s; logs in ${platform.logDir} and ${platform.prometheus.dir}`,
    );
  }, 420_000);

  afterAll(async () => {
    await platform.stop();
  }, 180_000);

  it('is scraped from every process: operator, purchase-api, query-api, analytics and both allocators are up', async () => {
    const targets = await platform.prometheus.targets();
    expect(targets.map((t) => [t.labels.job, t.health]).sort()).toEqual([
      ['boxoffice-allocator', 'up'],
      ['boxoffice-allocator', 'up'],
      ['boxoffice-analytics', 'up'],
      ['boxoffice-operator', 'up'],
      ['boxoffice-purchase-api', 'up'],
      ['boxoffice-query-api', 'up'],
    ]);
  });

  it('serves on every /metrics what promtool check metrics accepts, with each component’s own families', async () => {
    const expected: Record<string, string[]> = {
      operator: [
        'boxoffice_operator_reconciles_total',
        'boxoffice_operator_reconcile_errors_total',
        'boxoffice_ticketevents',
        'boxoffice_inventory_remaining',
        'boxoffice_inventory_audit_ok',
        'boxoffice_allocator_consumer_lag',
      ],
      'purchase-api': [
        'http_request_duration_seconds',
        'boxoffice_api_orders_total',
        'boxoffice_hold_expiry_sweeps_total',
      ],
      'query-api': ['http_request_duration_seconds', 'boxoffice_dependency_up'],
      analytics: [
        'boxoffice_analytics_events_total',
        'boxoffice_analytics_consumer_lag',
        'boxoffice_analytics_batch_duration_seconds',
      ],
      'allocator-0': [
        'boxoffice_allocator_batch_size',
        'boxoffice_orders_total',
        'boxoffice_allocator_transaction_duration_seconds',
      ],
      'allocator-1': [
        'boxoffice_allocator_batch_size',
        'boxoffice_orders_total',
        'boxoffice_dead_letters_total',
      ],
    };
    for (const [component, url] of Object.entries(platform.metricsUrls())) {
      const text = await (await fetch(url)).text();
      const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
      expect([component, families]).toEqual([component, expect.arrayContaining(expected[component]!)]);
      expect([component, promtoolCheck(platform.settings.PROMTOOL_BIN!, text)]).toEqual([
        component,
        { code: 0, output: '' },
      ]);
    }
  });

  it('returns data for every target of every panel of every dashboard, with its variables filled in', async () => {
    const results: TargetResult[] = [];
    for (const [name, dashboard] of committedDashboards()) {
      const evaluated = await evaluateDashboard(
        platform.prometheus,
        dashboard,
        runWindow(run),
        chosen(platform),
      );
      results.push(...evaluated);
      // A picture of it from this run, as `npm run dashboards:pictures` draws docs/dashboards/.
      const svg = dashboardPicture(dashboard, panelDataOf(dashboard, evaluated), runWindow(run), 'test run');
      writeFileSync(join(platform.logDir, `${name}.svg`), svg);
      for (const panel of queryPanels(dashboard)) expect(svg).toContain(escapeXml(panel.title));
      expect(svg).not.toContain('No data');
    }
    expect(results.length).toBeGreaterThan(40);
    expect(results.filter((r) => r.problem).map(({ data: _, ...result }) => result)).toEqual([]);
  });

  it('would report a panel whose metric no process exports, and one that is only NaN', async () => {
    const window = runWindow(run);
    const panel = (title: string, expr: string) => ({
      type: 'timeseries',
      title,
      targets: [{ expr, refId: 'A' }],
    });
    const broken: DashboardJson = {
      uid: 'broken',
      title: 'broken',
      templating: { list: [] },
      panels: [
        panel('missing', 'sum(rate(boxoffice_no_such_metric_total[$__rate_interval]))'),
        panel('nan', 'sum(boxoffice_inventory_capacity) / 0 - sum(boxoffice_inventory_capacity) / 0'),
      ],
    };
    const results = await evaluateDashboard(platform.prometheus, broken, window);
    expect(results.map((r) => [r.panel, r.problem])).toEqual([
      ['missing', 'no series'],
      ['nan', 'only NaN or infinite samples'],
    ]);
  });

  it('reports the inventory per ticket type and shard exactly as PostgreSQL has it, and the audit sound', async () => {
    const event = `event="${platform.eventLabel}"`;
    const byShard = (m: Record<string, string>) => `${m.ticket_type}/${m.shard}`;
    await eventually(
      async () => {
        const rows = await shardCounters(platform.world.pool, platform.event.namespace);
        const key = (r: (typeof rows)[number]) => `${r.ticketType}/${r.shard}`;
        expect(await instant(platform, `boxoffice_inventory_capacity{${event}}`, byShard)).toEqual(
          Object.fromEntries(rows.map((r) => [key(r), r.capacity])),
        );
        expect(await instant(platform, `boxoffice_inventory_held{${event}}`, byShard)).toEqual(
          Object.fromEntries(rows.map((r) => [key(r), r.held])),
        );
        expect(await instant(platform, `boxoffice_inventory_sold{${event}}`, byShard)).toEqual(
          Object.fromEntries(rows.map((r) => [key(r), r.sold])),
        );
      },
      { timeoutMs: 20_000 },
    );
    // The VIP order that was paid is the only sale; every other hold expired or was released.
    expect(
      await instant(
        platform,
        `sum by (ticket_type) (boxoffice_inventory_sold{${event}})`,
        (m) => m.ticket_type!,
      ),
    ).toEqual({
      standard: 0,
      vip: 2,
    });
    expect(await invariantViolations(platform.world.pool)).toEqual([]);
    expect(await instant(platform, `boxoffice_inventory_audit_ok{${event}}`, (m) => m.event!)).toEqual({
      [platform.eventLabel]: 1,
    });
    // Sold out during the flash sale: the gauge existed while no standard ticket remained.
    const soldOut = await platform.prometheus.queryRange(
      `boxoffice_ticket_type_sell_out_seconds{${event}, ticket_type="standard"}`,
      run.startedAt,
      run.endedAt,
      1,
    );
    expect(soldOut).toHaveLength(1);
    expect(Number(soldOut[0]!.values[0]![1])).toBeGreaterThan(0);
  });

  it('counts the answers and allocator outcomes that PostgreSQL and k6 saw, per event and ticket type', async () => {
    const event = `event="${platform.eventLabel}"`;
    // Every 409 sold out that k6 was given is one sold_out answer of purchase-api.
    expect(
      await instant(
        platform,
        `sum(boxoffice_api_orders_total{${event}, outcome="sold_out"})`,
        () => 'sold_out',
      ),
    ).toEqual({ sold_out: run.soldOut });
    const { rows } = await platform.world.pool.query<{ ticket_type: string; status: string; n: string }>(
      `SELECT ticket_type, status, count(*) AS n FROM orders GROUP BY ticket_type, status`,
    );
    const stored = (type: string, statuses: string[]) =>
      rows
        .filter((r) => r.ticket_type === type && statuses.includes(r.status))
        .reduce((n, r) => n + Number(r.n), 0);
    const outcomes = await instant(
      platform,
      `sum by (ticket_type, outcome) (boxoffice_orders_total{${event}, outcome=~"held|confirmed|released|expired"})`,
      (m) => `${m.ticket_type} ${m.outcome}`,
    );
    // Every order that was ever held is one `held` outcome; its end is one more.
    expect(outcomes).toEqual({
      'standard held': stored('standard', ['EXPIRED']),
      'standard expired': stored('standard', ['EXPIRED']),
      'vip held': stored('vip', ['CONFIRMED', 'RELEASED', 'EXPIRED']),
      'vip confirmed': 1,
      'vip released': 1,
      'vip expired': 1,
    });
    expect(
      await instant(
        platform,
        `sum by (ticket_type, reason) (boxoffice_orders_total{${event}, outcome="rejected", reason="limit_reached"})`,
        (m) => `${m.ticket_type} ${m.reason}`,
      ),
    ).toEqual({ 'vip limit_reached': 1 });
  });

  it('measures the allocator group’s lag from the brokers: drained to 0, committed offsets at the end', async () => {
    const event = `event="${platform.eventLabel}"`;
    const byShard = (m: Record<string, string>) => m.shard!;
    await eventually(async () => {
      const end = await instant(platform, `boxoffice_purchase_topic_end_offset{${event}}`, byShard);
      expect(Object.keys(end).sort()).toEqual(['0', '1']);
      for (const offset of Object.values(end)) expect(offset).toBeGreaterThan(0);
      expect(await instant(platform, `boxoffice_allocator_committed_offset{${event}}`, byShard)).toEqual(end);
      expect(await instant(platform, `boxoffice_allocator_consumer_lag{${event}}`, byShard)).toEqual({
        0: 0,
        1: 0,
      });
    });
  });

  it('evaluates every rule without error; the dead letter fires its alert, the sound audit does not', async () => {
    const rules = await platform.prometheus.rules();
    expect(rules.length).toBeGreaterThan(30);
    expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
    await eventually(async () => {
      const alerts = await platform.prometheus.alerts();
      const active = (name: string) => alerts.filter((a) => a.labels.alertname === name);
      expect(active('BoxofficeWatchdog').map((a) => a.state)).toEqual(['firing']);
      expect(active('BoxofficeDeadLetters').map((a) => [a.labels.event, a.state])).toEqual([
        [platform.eventLabel, 'firing'],
      ]);
      expect(active('BoxofficeInventoryAuditFailing')).toEqual([]);
      expect(active('BoxofficeTicketEventNotReady')).toEqual([]);
    });
  });

  // Last: it breaks the inventory on purpose (and puts it back).
  it('pages when the inventory breaks: a counter that no longer matches the orders turns the audit to 0', async () => {
    const event = `event="${platform.eventLabel}"`;
    const corrupt = `UPDATE inventory_shards SET sold = sold + $1
       WHERE shard = 0 AND ticket_type = 'standard' AND event_id = (SELECT id FROM events WHERE namespace = $2 AND name = $3)`;
    const args = [platform.event.namespace, platform.event.name];
    await platform.world.pool.query(corrupt, [1, ...args]);
    try {
      await eventually(async () => {
        expect(await instant(platform, `boxoffice_inventory_audit_ok{${event}}`, (m) => m.event!)).toEqual({
          [platform.eventLabel]: 0,
        });
        expect(
          await instant(platform, `boxoffice_inventory_audit_violations{${event}}`, (m) => m.event!),
        ).toEqual({
          [platform.eventLabel]: 1,
        });
        const alerts = await platform.prometheus.alerts();
        expect(
          alerts
            .filter((a) => a.labels.alertname === 'BoxofficeInventoryAuditFailing')
            .map((a) => [a.labels.event, a.state]),
        ).toEqual([[platform.eventLabel, 'firing']]);
      });
    } finally {
      await platform.world.pool.query(corrupt, [-1, ...args]);
    }
    await eventually(async () =>
      expect(await instant(platform, `boxoffice_inventory_audit_ok{${event}}`, (m) => m.event!)).toEqual({
        [platform.eventLabel]: 1,
      }),
    );
  });

  it('sells what the spec says: the TicketEvent is Ready, OnSale, with the VIP tickets the run left', async () => {
    const event = `event="${platform.eventLabel}"`;
    expect(await instant(platform, `boxoffice_ticketevent_ready{${event}}`, (m) => m.event!)).toEqual({
      [platform.eventLabel]: 1,
    });
    expect(
      await instant(
        platform,
        `sum by (ticket_type) (boxoffice_inventory_remaining{${event}})`,
        (m) => m.ticket_type!,
      ),
    ).toEqual({ standard: SALE.standard.capacity, vip: SALE.vip.capacity - 2 });
  });
});
