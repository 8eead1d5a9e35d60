/**
 * The TicketEvent operator: its identity, RBAC (the rules of operator/rbac/: TicketEvents in every
 * namespace, the Lease and the allocators in the platform's), Deployment and
 * disruption budget (templates/operator/ of the chart).
 */
import { COMPONENTS, containerSecurityContext } from '@boxoffice/conventions';
import * as kplus from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { clusterScoped } from './cluster-scoped.ts';
import { disruptionBudget } from './disruption-budget.ts';
import {
  allocatorKafkaSecret,
  allocatorNamespace,
  allocatorSecretEnv,
  connectionEnv,
  extraEnv,
  goJson,
  kafkaEnvFrom,
} from './env.ts';
import type { Installation } from './installation.ts';
import { kedaTriggerAuthentication } from './keda.ts';
import { imageReference } from './naming.ts';
import { OPERATOR_RBAC, rulesOf, type PolicyRule } from './sources.ts';
import { platformDeployment } from './workload.ts';

export class Operator extends Construct {
  readonly deployment: kplus.Deployment;

  constructor(scope: Construct, id: string, install: Installation, secretChecksum: string) {
    super(scope, id);
    const operator = install.values.operator;
    const name = install.names.component('operator');
    if (operator.serviceAccount.create) this.serviceAccount(install);
    if (operator.rbac.create) this.rbac(install, name);
    this.deployment = platformDeployment(this, install, {
      component: 'operator',
      values: operator,
      replicas: operator.replicas,
      serviceAccount: kplus.ServiceAccount.fromServiceAccountName(
        this,
        'identity',
        install.names.operatorServiceAccount,
      ),
      automountServiceAccountToken: true,
      // Running reconciles finish and the Lease is released before exit.
      terminationGracePeriodSeconds: 60,
      env: this.env(install, name),
      envFrom: kafkaEnvFrom(this, install),
      secretChecksum,
    });
    if (operator.podDisruptionBudget.enabled)
      disruptionBudget(this, install, 'operator', operator.podDisruptionBudget.maxUnavailable);
  }

  private env(install: Installation, leaseName: string) {
    const { values } = install;
    const { allocators, watchNamespace } = values.operator;
    const value = kplus.EnvValue.fromValue;
    const keda = kedaTriggerAuthentication(install);
    return {
      ...connectionEnv(this, install),
      PORT: value(String(COMPONENTS.operator.port)),
      OTEL_SERVICE_NAME: value('operator'),
      POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
      LEASE_NAMESPACE: value(install.namespace),
      LEASE_NAME: value(leaseName),
      ...(watchNamespace ? { WATCH_NAMESPACE: value(watchNamespace) } : {}),
      RECONCILE_CONCURRENCY: value(String(values.operator.reconcile.concurrency)),
      RECONCILE_RATE_PER_SECOND: value(String(values.operator.reconcile.ratePerSecond)),
      RECONCILE_BURST: value(String(values.operator.reconcile.burst)),
      // What the operator writes into each event's allocator Deployment.
      ALLOCATOR_IMAGE: value(imageReference(allocators.image, install.chart.appVersion, values.image)),
      ALLOCATOR_IMAGE_PULL_POLICY: value(allocators.image.pullPolicy || values.image.pullPolicy),
      ALLOCATOR_ARGS: value(goJson(allocators.args)),
      ALLOCATOR_RESOURCES: value(goJson(allocators.resources)),
      ...(values.imagePullSecrets.length
        ? { ALLOCATOR_IMAGE_PULL_SECRETS: value(goJson(values.imagePullSecrets)) }
        : {}),
      ALLOCATOR_SECURITY_CONTEXT: value(goJson(containerSecurityContext(allocators.securityContext))),
      // Allocators run in the platform namespace, credentials only as Secret references.
      ALLOCATOR_NAMESPACE: value(allocatorNamespace(install)),
      ALLOCATOR_SECRET_ENV: value(allocatorSecretEnv(install)),
      ...(allocatorKafkaSecret(install)
        ? { ALLOCATOR_KAFKA_SECRET: value(allocatorKafkaSecret(install)!) }
        : {}),
      // KEDA's scaler reads the lag with its own principal (keda.ts).
      ...(keda
        ? {
            KEDA_KAFKA_TRIGGER_AUTHENTICATION: value(keda.name),
            KEDA_KAFKA_TRIGGER_AUTHENTICATION_KIND: value(keda.kind),
          }
        : {}),
      ...extraEnv(values.operator.env),
    };
  }

  private serviceAccount(install: Installation): void {
    const { annotations } = install.values.operator.serviceAccount;
    new kplus.ServiceAccount(this, 'service-account', {
      metadata: {
        name: install.names.operatorServiceAccount,
        namespace: install.namespace,
        labels: install.labels('operator'),
        ...(Object.keys(annotations).length ? { annotations } : {}),
      },
      automountToken: true,
    });
  }

  /** Every namespace, or only the watched one (a RoleBinding to the ClusterRole there). */
  private rbac(install: Installation, name: string): void {
    const { k8s } = kplus;
    const labels = install.labels('operator');
    const subjects = [
      { kind: 'ServiceAccount', name: install.names.operatorServiceAccount, namespace: install.namespace },
    ];
    const clusterRole = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name };
    clusterScoped(
      new k8s.KubeClusterRole(this, 'cluster-role', {
        metadata: { name, labels },
        rules: kubeRules(rulesOf(OPERATOR_RBAC.cluster)),
      }),
    );
    const watched = install.values.operator.watchNamespace;
    if (watched) {
      new k8s.KubeRoleBinding(this, 'binding', {
        metadata: { name, namespace: watched, labels },
        roleRef: clusterRole,
        subjects,
      });
    } else {
      clusterScoped(
        new k8s.KubeClusterRoleBinding(this, 'binding', {
          metadata: { name, labels },
          roleRef: clusterRole,
          subjects,
        }),
      );
    }
    const leaderElection = `${name}-leader-election`;
    new k8s.KubeRole(this, 'leader-election-role', {
      metadata: { name: leaderElection, namespace: install.namespace, labels },
      rules: kubeRules(rulesOf(OPERATOR_RBAC.leaderElection)),
    });
    new k8s.KubeRoleBinding(this, 'leader-election-binding', {
      metadata: { name: leaderElection, namespace: install.namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: leaderElection },
      subjects,
    });
    // The allocators' Deployments and ScaledObjects: in the platform namespace only.
    const allocators = `${name}-allocators`;
    const namespace = allocatorNamespace(install);
    new k8s.KubeRole(this, 'allocators-role', {
      metadata: { name: allocators, namespace, labels },
      rules: kubeRules(rulesOf(OPERATOR_RBAC.allocators)),
    });
    new k8s.KubeRoleBinding(this, 'allocators-binding', {
      metadata: { name: allocators, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: allocators },
      subjects,
    });
  }
}

/** The generated Kubernetes types spell nonResourceURLs `nonResourceUrLs` (and write it back as the API's name). */
const kubeRules = (rules: PolicyRule[]): kplus.k8s.PolicyRule[] =>
  rules.map(({ nonResourceURLs, ...rule }) => ({ ...rule, nonResourceUrLs: nonResourceURLs }));
