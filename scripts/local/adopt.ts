import { parseAllDocuments } from 'yaml';

/**
 * Hands the release's cluster-wide objects that exist already to the release, as
 * docs/operations.md tells a platform engineer to: Helm's ownership label and annotations. An
 * earlier `npm start` applied the CRD with kubectl, and the operator's tests apply its ClusterRole
 * (named as the chart names it for a release called boxoffice) to the same control plane; without
 * this, `helm install` refuses them ("invalid ownership metadata").
 */
const CLUSTER_SCOPED = new Set(['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding']);

export interface ObjectRef {
  kind: string;
  name: string;
}

/** The cluster-scoped objects of a rendered chart (`helm template` output). */
export function clusterScopedObjects(manifests: string): ObjectRef[] {
  return parseAllDocuments(manifests)
    .map((document) => document.toJS() as { kind?: string; metadata?: { name?: string } } | null)
    .filter((object) => object?.kind && CLUSTER_SCOPED.has(object.kind) && object.metadata?.name)
    .map((object) => ({ kind: object!.kind!, name: object!.metadata!.name! }));
}

/** Adopts those of `objects` that exist and belong to no release of this name; returns them. */
export function adoptIntoRelease(
  kubectl: (...args: string[]) => string,
  objects: ObjectRef[],
  release: { name: string; namespace: string },
): ObjectRef[] {
  if (!objects.length) return [];
  const refs = objects.map((o) => `${o.kind.toLowerCase()}/${o.name}`);
  const found = JSON.parse(kubectl('get', ...refs, '--ignore-not-found', '-o', 'json') || '{"items":[]}') as {
    items: { kind: string; metadata: { name: string; annotations?: Record<string, string> } }[];
  };
  const foreign = found.items.filter(
    (item) =>
      item.metadata.annotations?.['meta.helm.sh/release-name'] !== release.name ||
      item.metadata.annotations?.['meta.helm.sh/release-namespace'] !== release.namespace,
  );
  for (const item of foreign) {
    const ref = `${item.kind.toLowerCase()}/${item.metadata.name}`;
    kubectl('label', ref, 'app.kubernetes.io/managed-by=Helm', '--overwrite');
    kubectl(
      'annotate',
      ref,
      `meta.helm.sh/release-name=${release.name}`,
      `meta.helm.sh/release-namespace=${release.namespace}`,
      '--overwrite',
    );
  }
  return foreign.map((item) => ({ kind: item.kind, name: item.metadata.name }));
}
