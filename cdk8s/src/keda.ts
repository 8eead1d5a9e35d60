/**
 * KEDA's Kafka credentials beside the ScaledObjects the operator writes, in the allocators'
 * namespace (templates/keda-kafka.yaml of the chart): a TriggerAuthentication naming
 * keda.kafka.existingSecret, or one with a Secret of KEDA's principal alone made from
 * keda.kafka.username/password/ca. Nothing with keda.kafka.existingTriggerAuthentication.
 */
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { allocatorNamespace } from './env.ts';
import type { Installation } from './installation.ts';

/** KEDA_KAFKA_TRIGGER_AUTHENTICATION and its kind, or none without KEDA credentials. */
export function kedaTriggerAuthentication(
  install: Installation,
): { name: string; kind: 'TriggerAuthentication' | 'ClusterTriggerAuthentication' } | undefined {
  const { kafka } = install.values.keda;
  if (kafka.existingTriggerAuthentication)
    return { name: kafka.existingTriggerAuthentication, kind: kafka.existingTriggerAuthenticationKind };
  if (!kafka.existingSecret && !kafka.username) return undefined;
  if (kafka.username && !kafka.existingSecret && !kafka.password)
    throw new Error('keda.kafka.username needs keda.kafka.password');
  return { name: install.names.component('keda-kafka'), kind: 'TriggerAuthentication' };
}

export function kedaKafkaAuthentication(scope: Construct, install: Installation): void {
  const { kafka } = install.values.keda;
  const authentication = kedaTriggerAuthentication(install);
  if (!authentication || kafka.existingTriggerAuthentication) return;
  const metadata = {
    name: authentication.name,
    namespace: allocatorNamespace(install),
    labels: install.labels('keda'),
  };
  const keys = ['username', 'password'];
  if (!kafka.existingSecret) {
    const data: Record<string, string> = { username: kafka.username, password: kafka.password };
    if (kafka.ca) {
      data.ca = kafka.ca;
      keys.push('ca');
    }
    new kplus.k8s.KubeSecret(scope, 'keda-kafka-secret', {
      metadata,
      type: 'Opaque',
      data: Object.fromEntries(
        Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
      ),
    });
  }
  const secret = kafka.existingSecret || authentication.name;
  new ApiObject(scope, 'keda-kafka-authentication', {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'TriggerAuthentication',
    metadata,
    spec: { secretTargetRef: keys.map((key) => ({ parameter: key, name: secret, key })) },
  });
}
