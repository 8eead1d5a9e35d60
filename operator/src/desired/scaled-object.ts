import { ApiObject, App, Chart } from 'cdk8s';
import { allocatorGroupId, eventTopic } from '@boxoffice/store';
import type { OperatorConfig } from '../config.ts';
import type { TicketEvent } from '../ticket-event.ts';
import { clusterKafkaBrokers } from './allocator-deployment.ts';
import { allocatorName, childMetadata } from './metadata.ts';

/** The part of KEDA's ScaledObject spec the operator sets (keda.sh/v1alpha1). */
export interface ScaledObjectSpec {
  scaleTargetRef: { name: string };
  minReplicaCount: number;
  maxReplicaCount: number;
  pollingInterval?: number;
  cooldownPeriod?: number;
  triggers: {
    type: 'apache-kafka';
    metadata: Record<string, string>;
    authenticationRef?: { name: string; kind: 'TriggerAuthentication' | 'ClusterTriggerAuthentication' };
  }[];
}

/** KEDA's names for the operator's own Kafka settings; the credentials come from the platform's TriggerAuthentication. */
function kafkaAuthMetadata(config: OperatorConfig): Record<string, string> {
  return {
    ...(config.KAFKA_SASL_MECHANISM
      ? { sasl: config.KAFKA_SASL_MECHANISM === 'SCRAM-SHA-512' ? 'scram_sha512' : 'scram_sha256' }
      : {}),
    ...(config.KAFKA_TLS ? { tls: 'enable' } : {}),
  };
}

/**
 * KEDA ScaledObject scaling the allocator on the consumer lag of the event's group, from
 * `minReplicas` (0: idle events cost nothing) up to `maxReplicas` (never more than partitions).
 */
export function desiredScaledObject(event: TicketEvent, config: OperatorConfig): Record<string, unknown> {
  const chart = new Chart(new App(), 'boxoffice', { disableResourceNameHashes: true });
  const allocator = event.spec.allocator;
  const spec: ScaledObjectSpec = {
    scaleTargetRef: { name: allocatorName(event.metadata) },
    minReplicaCount: allocator.minReplicas,
    maxReplicaCount: allocator.maxReplicas,
    ...(config.KEDA_POLLING_INTERVAL_SECONDS !== undefined
      ? { pollingInterval: config.KEDA_POLLING_INTERVAL_SECONDS }
      : {}),
    ...(config.KEDA_COOLDOWN_PERIOD_SECONDS !== undefined
      ? { cooldownPeriod: config.KEDA_COOLDOWN_PERIOD_SECONDS }
      : {}),
    triggers: [
      {
        type: 'apache-kafka',
        metadata: {
          bootstrapServers: clusterKafkaBrokers(config),
          consumerGroup: allocatorGroupId(event.metadata),
          topic: eventTopic(event.metadata),
          lagThreshold: String(allocator.lagThreshold),
          // Any lag wakes a scaled-to-zero allocator: a waiting buyer must not wait for a threshold.
          activationLagThreshold: '0',
          // A new group must see purchases produced before its first consumer started.
          offsetResetPolicy: 'earliest',
          ...kafkaAuthMetadata(config),
        },
        ...(config.KEDA_KAFKA_TRIGGER_AUTHENTICATION
          ? {
              authenticationRef: {
                name: config.KEDA_KAFKA_TRIGGER_AUTHENTICATION,
                // A TriggerAuthentication is looked up in the ScaledObject's (the allocators') namespace.
                kind: config.KEDA_KAFKA_TRIGGER_AUTHENTICATION_KIND,
              },
            }
          : {}),
      },
    ],
  };
  const [group, version] = config.KEDA_API_VERSION.split('/');
  return new ApiObject(chart, 'scaler', {
    apiVersion: `${group}/${version}`,
    kind: 'ScaledObject',
    metadata: childMetadata(event, config),
    spec,
  }).toJson() as Record<string, unknown>;
}
