import { ticketEventCrd } from '@boxoffice/operator/crd/schema';
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { clusterScoped } from './cluster-scoped.ts';
import type { Installation } from './installation.ts';

/**
 * The TicketEvent CRD, generated from operator/src/crd/schema.ts. `crds.keep` is Helm's
 * (helm.sh/resource-policy: keep on uninstall): cdk8s deletes nothing, so it writes no annotation.
 */
export function ticketEventDefinition(scope: Construct, install: Installation): void {
  if (!install.values.crds.install) return;
  const { apiVersion, kind, metadata, ...rest } = ticketEventCrd;
  clusterScoped(
    new ApiObject(scope, 'crd', {
      apiVersion,
      kind,
      metadata: { name: metadata.name, labels: install.labels('crd') },
      ...rest,
    }),
  );
}
