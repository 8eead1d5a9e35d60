import { allocatorGroupId, eventTopic } from '@boxoffice/store';
import type { OperatorConfig } from './config.ts';
import { FIELD_MANAGER, type TicketEvent } from './ticket-event.ts';

/** Labels on every child; the local workload runner and dashboards select on them. */
export function childLabels(event: TicketEvent): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'boxoffice-allocator',
    'app.kubernetes.io/part-of': 'boxoffice',
    'app.kubernetes.io/component': 'allocator',
    'app.kubernetes.io/managed-by': FIELD_MANAGER,
    'boxoffice.dev/event': event.metadata.name,
  };
}

export function allocatorName(event: TicketEvent): string {
  return `${event.metadata.name}-allocator`.slice(0, 63);
}

function ownerReference(event: TicketEvent): object {
  return {
    apiVersion: event.apiVersion,
    kind: event.kind,
    name: event.metadata.name,
    uid: event.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * The allocator Deployment of an event: a pure function of the TicketEvent and the operator's
 * config. With KEDA, `replicas` is left out so the ScaledObject owns it; without, a fixed count.
 */
export function desiredAllocatorDeployment(
  event: TicketEvent,
  config: OperatorConfig,
  options: { kedaInstalled: boolean },
): Record<string, unknown> {
  const labels = childLabels(event);
  const selector = { 'app.kubernetes.io/component': 'allocator', 'boxoffice.dev/event': event.metadata.name };
  const databaseUrl = config.DATABASE_SECRET
    ? {
        name: 'DATABASE_URL',
        valueFrom: {
          secretKeyRef: {
            name: config.DATABASE_SECRET.split('/')[0],
            key: config.DATABASE_SECRET.split('/')[1] ?? 'DATABASE_URL',
          },
        },
      }
    : { name: 'DATABASE_URL', value: config.DATABASE_URL };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: allocatorName(event),
      namespace: event.metadata.namespace,
      labels,
      ownerReferences: [ownerReference(event)],
    },
    spec: {
      ...(options.kedaInstalled ? {} : { replicas: Math.max(1, event.spec.allocator?.minReplicas ?? 1) }),
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...labels, ...selector } },
        spec: {
          terminationGracePeriodSeconds: 60,
          containers: [
            {
              name: 'allocator',
              image: config.ALLOCATOR_IMAGE,
              env: [
                { name: 'EVENT_NAMESPACE', value: event.metadata.namespace },
                { name: 'EVENT_NAME', value: event.metadata.name },
                {
                  name: 'KAFKA_BROKERS',
                  value: config.CLUSTER_KAFKA_BROKERS ?? config.KAFKA_BROKERS.join(','),
                },
                { name: 'REDIS_URL', value: config.REDIS_URL },
                { name: 'BOXOFFICE_PREFIX', value: config.BOXOFFICE_PREFIX },
                databaseUrl,
              ],
              ports: [{ name: 'http', containerPort: 8082 }],
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5 },
              livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
              securityContext: {
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    },
  };
}

/** KEDA ScaledObject scaling the allocator on the event's consumer lag, from min to max replicas. */
export function desiredScaledObject(event: TicketEvent, config: OperatorConfig): Record<string, unknown> {
  const allocator = event.spec.allocator ?? {};
  const lagThreshold = allocator.lagThreshold ?? 100;
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: {
      name: allocatorName(event),
      namespace: event.metadata.namespace,
      labels: childLabels(event),
      ownerReferences: [ownerReference(event)],
    },
    spec: {
      scaleTargetRef: { name: allocatorName(event) },
      minReplicaCount: allocator.minReplicas ?? 0,
      maxReplicaCount: allocator.maxReplicas ?? 1,
      triggers: [
        {
          type: 'apache-kafka',
          metadata: {
            bootstrapServers: config.CLUSTER_KAFKA_BROKERS ?? config.KAFKA_BROKERS.join(','),
            consumerGroup: allocatorGroupId(event.metadata),
            topic: eventTopic(event.metadata),
            lagThreshold: String(lagThreshold),
            activationLagThreshold: '0',
            offsetResetPolicy: 'earliest',
          },
        },
      ],
    },
  };
}
