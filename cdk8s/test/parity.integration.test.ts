/**
 * The Helm chart and the cdk8s app are two ways to install the same platform: rendered
 * (`helm template`) and synthesized with the same values, they must write the same objects, so the
 * two can never drift. What differs on purpose is listed in parity.ts (MEANT_DIFFERENCES), each
 * with its reason.
 */
import { describe, expect, it } from '@jest/globals';
import { ciValueFiles } from '../../test/chart/helm.ts';
import { ciValues, keyOf, normalize, renderChart, sameJson, synthesize, type ValueSet } from './parity.ts';

const valueSets: [string, ValueSet][] = [
  ['the default values', { values: {}, namespace: 'boxoffice', release: 'boxoffice' }],
  [
    "the allocators' and the analytics consumer's Kafka principals as values",
    {
      values: {
        ...ciValues('minimal-values.yaml'),
        kafka: {
          brokers: ['kafka-0.kafka.svc:9092'],
          allocatorUsername: 'boxoffice-allocator',
          allocatorPassword: 'allocator-password',
          analyticsUsername: 'boxoffice-analytics',
          analyticsPassword: 'analytics-password',
        },
        analytics: {
          groupId: 'boxoffice-analytics-rebuilt',
          env: { NODE_OPTIONS: '--max-old-space-size=200' },
        },
        // KEDA's principal too: its Secret and TriggerAuthentication beside the allocators.
        keda: { kafka: { username: 'boxoffice-keda', password: 'keda-password', ca: 'PEM' } },
      },
      namespace: 'boxoffice',
      release: 'boxoffice',
    },
  ],
  [
    'analytics switched off',
    {
      values: { ...ciValues('minimal-values.yaml'), analytics: { enabled: false } },
      namespace: 'boxoffice',
      release: 'boxoffice',
    },
  ],
  ...ciValueFiles.map((file): [string, ValueSet] => [
    `ci/${file}`,
    // A release without the chart's name in it: objects are named tickets-boxoffice-<component>.
    { values: ciValues(file), namespace: 'tickets', release: 'tickets' },
  ]),
  [
    'overridden names, placement and every switch flipped',
    {
      values: {
        ...ciValues('everything-on-values.yaml'),
        nameOverride: 'tix',
        crds: { keep: false },
        // Allocators in a namespace of their own read their credentials from Secrets there.
        postgresql: { existingSecret: 'shop-postgresql', existingSecretKey: 'url' },
        redis: { existingSecret: 'shop-redis' },
        kafka: {
          brokers: ['kafka-0.kafka.svc:9092'],
          allocatorSecret: 'shop-allocator-kafka',
          existingSecret: 'shop-kafka',
          analyticsSecret: 'shop-analytics-kafka',
        },
        keda: {
          kafka: {
            existingTriggerAuthentication: 'shop-keda-kafka',
            existingTriggerAuthenticationKind: 'ClusterTriggerAuthentication',
          },
        },
        analytics: {
          replicas: 2,
          serviceAccount: { create: false, name: 'shop-analytics' },
          nodeSelector: { pool: 'background' },
        },
        securityContext: { capabilities: { add: ['NET_BIND_SERVICE'] } },
        purchaseApi: {
          preStopSleepSeconds: 0,
          service: { type: 'NodePort', port: 8080 },
          podLabels: { tier: 'front' },
          podDisruptionBudget: { maxUnavailable: '50%' },
          resources: { requests: { cpu: 0.5, memory: '1Gi', 'ephemeral-storage': '1Gi' } },
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'topology.kubernetes.io/zone',
              whenUnsatisfiable: 'DoNotSchedule',
              labelSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
            },
          ],
        },
        queryApi: { autoscaling: { enabled: false }, replicas: 3 },
        operator: {
          watchNamespace: 'organizer-a',
          reconcile: { concurrency: 8, ratePerSecond: 20, burst: 40 },
          env: { LEASE_DURATION_SECONDS: '20' },
          serviceAccount: { create: false, name: 'platform-operator' },
          allocators: { namespace: 'allocators', image: { tag: 'nightly' } },
        },
        jwt: { algorithm: 'RS256', jwksUrl: 'https://login.example.com/jwks.json' },
      },
      namespace: 'shop',
      release: 'shop-boxoffice',
    },
  ],
];

describe('the Helm chart and the cdk8s app, given the same values', () => {
  it.each(valueSets)('write the same objects (kinds, names, namespaces) with %s', async (_name, set) => {
    const chart = (await renderChart(set)).map(keyOf).sort();
    const app = synthesize(set).map(keyOf).sort();
    expect(app).toEqual(chart);
    expect(chart.length).toBeGreaterThan(10);
  });

  it.each(valueSets)(
    'write every object the same (images, env, ports, probes, RBAC rules, security context, every field but the meant differences) with %s',
    async (_name, set) => {
      const chart = normalize(await renderChart(set));
      const app = normalize(synthesize(set));
      for (const [key, object] of chart) expect({ key, object: app.get(key) }).toEqual({ key, object });
    },
  );

  it('differ in who manages the objects, and in that only: the label says Helm or cdk8s', async () => {
    const set = valueSets[0]![1];
    const managedBy = (objects: { metadata: { labels?: Record<string, string> } }[]) => [
      ...new Set(objects.map((object) => object.metadata.labels?.['app.kubernetes.io/managed-by'])),
    ];
    expect(managedBy(await renderChart(set))).toEqual(['Helm']);
    expect(managedBy(synthesize(set))).toEqual(['cdk8s']);
  });

  it('tell a drift apart: a value given to one side only is a difference (so the checks above can fail)', async () => {
    const chart = normalize(await renderChart(valueSets[0]![1]));
    const drifted = normalize(
      synthesize({
        ...valueSets[0]![1],
        values: { queryApi: { sseHeartbeatMs: 1000 }, image: { tag: 'other' } },
      }),
    );
    const differing = [...chart]
      .filter(([key, object]) => !sameJson(object, drifted.get(key)))
      .map(([key]) => key);
    expect(differing.sort()).toEqual([
      'Deployment boxoffice/boxoffice-analytics',
      'Deployment boxoffice/boxoffice-operator',
      'Deployment boxoffice/boxoffice-purchase-api',
      'Deployment boxoffice/boxoffice-query-api',
    ]);
  });
});
