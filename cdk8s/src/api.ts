/**
 * A buyer-facing API: Deployment, Service, HorizontalPodAutoscaler and PodDisruptionBudget
 * (templates/_api.tpl of the chart).
 */
import { COMPONENTS, HTTP_PORT_NAME } from '@boxoffice/conventions';
import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { disruptionBudget } from './disruption-budget.ts';
import { connectionEnv, extraEnv, kafkaEnvFrom, secretEnv, type Env } from './env.ts';
import type { Installation } from './installation.ts';
import type { Values } from './values.ts';
import { platformDeployment } from './workload.ts';

export type ApiComponent = 'purchase-api' | 'query-api';

type ApiValues = Values['purchaseApi'] | Values['queryApi'];

export interface ApiProps {
  component: ApiComponent;
  values: ApiValues;
  /** The component's own settings, after the shared ones. */
  env: (scope: Construct) => Env;
  secretChecksum: string;
}

export class Api extends Construct {
  readonly deployment: kplus.Deployment;
  readonly service: kplus.Service;

  constructor(scope: Construct, id: string, install: Installation, props: ApiProps) {
    super(scope, id);
    const { component, values } = props;
    const name = install.names.component(component);
    const { port, portEnv } = COMPONENTS[component];
    this.deployment = platformDeployment(this, install, {
      component,
      values,
      replicas: values.autoscaling.enabled ? undefined : values.replicas,
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: values.terminationGracePeriodSeconds,
      env: {
        ...connectionEnv(this, install),
        [portEnv]: kplus.EnvValue.fromValue(String(port)),
        OTEL_SERVICE_NAME: kplus.EnvValue.fromValue(component),
        ...jwtEnv(this, install),
        ...props.env(this),
        ...extraEnv(values.env),
      },
      envFrom: kafkaEnvFrom(this, install),
      preStopSleepSeconds: values.preStopSleepSeconds,
      secretChecksum: props.secretChecksum,
    });
    const { annotations } = values.service;
    this.service = new kplus.Service(this, 'service', {
      metadata: {
        name,
        namespace: install.namespace,
        labels: install.labels(component),
        ...(Object.keys(annotations).length ? { annotations } : {}),
      },
      type: values.service.type as kplus.ServiceType,
      ports: [
        { name: HTTP_PORT_NAME, port: values.service.port, targetPort: port, protocol: kplus.Protocol.TCP },
      ],
    });
    // By the selector labels, not the Deployment (cdk8s-plus would select its address label).
    for (const [key, value] of Object.entries(install.selector(component)))
      this.service.selectLabel(key, value);
    if (values.autoscaling.enabled) this.autoscaler(install, component, values.autoscaling);
    if (values.podDisruptionBudget.enabled)
      disruptionBudget(this, install, component, values.podDisruptionBudget.maxUnavailable);
  }

  private autoscaler(
    install: Installation,
    component: ApiComponent,
    autoscaling: ApiValues['autoscaling'],
  ): void {
    const autoscaler = new kplus.HorizontalPodAutoscaler(this, 'autoscaler', {
      metadata: {
        name: install.names.component(component),
        namespace: install.namespace,
        labels: install.labels(component),
      },
      target: this.deployment,
      minReplicas: autoscaling.minReplicas,
      maxReplicas: autoscaling.maxReplicas,
      metrics: [
        kplus.Metric.resourceCpu(
          kplus.MetricTarget.averageUtilization(autoscaling.targetCPUUtilizationPercentage),
        ),
      ],
    });
    // Kubernetes' own scaling behaviour, as the chart leaves it (cdk8s-plus writes other policies).
    ApiObject.of(autoscaler).addJsonPatch(JsonPatch.remove('/spec/behavior'));
  }
}

/** Buyer tokens: pinned algorithm, issuer and audience; the HS256 secret or the RS256 key set. */
function jwtEnv(scope: Construct, install: Installation): Env {
  const { jwt } = install.values;
  const value = kplus.EnvValue.fromValue;
  return {
    JWT_ALGORITHM: value(jwt.algorithm),
    JWT_ISSUER: value(jwt.issuer),
    JWT_AUDIENCE: value(jwt.audience),
    ...(jwt.jwksUrl ? { JWT_JWKS_URL: value(jwt.jwksUrl) } : {}),
    ...(jwt.algorithm === 'HS256' ? { JWT_SECRET: secretEnv(scope, install, 'JWT_SECRET', jwt) } : {}),
  };
}

/** purchase-api's own settings (templates/purchase-api.yaml). */
export function purchaseApiEnv(install: Installation): (scope: Construct) => Env {
  const values = install.values.purchaseApi;
  const value = kplus.EnvValue.fromValue;
  return (scope) => ({
    REPLY_TIMEOUT_MS: value(String(values.replyTimeoutMs)),
    KAFKA_SEND_TIMEOUT_MS: value(String(values.kafkaSendTimeoutMs)),
    RATE_LIMIT_PER_IP_PER_SECOND: value(String(values.rateLimitPerIpPerSecond)),
    RATE_LIMIT_PER_BUYER_PER_SECOND: value(String(values.rateLimitPerBuyerPerSecond)),
    WEBHOOK_SECRET: secretEnv(scope, install, 'WEBHOOK_SECRET', install.values.webhook),
  });
}

/** query-api's own settings (templates/query-api.yaml). */
export function queryApiEnv(install: Installation): () => Env {
  return () => ({
    SSE_HEARTBEAT_MS: kplus.EnvValue.fromValue(String(install.values.queryApi.sseHeartbeatMs)),
  });
}
