import type { V1Container, V1EnvVar, V1ObjectFieldSelector, V1Pod } from '@kubernetes/client-node';

/**
 * A container's environment, resolved as the kubelet resolves it: `envFrom` sources first (in
 * order, a later one wins), then `env` (which wins over `envFrom`), with `$(VAR)` references to
 * variables defined before expanded (`$$(VAR)` stays literal). Secrets and ConfigMaps are read
 * through the API, in the pod's namespace.
 */
export interface EnvSources {
  /** The Secret's data, decoded; undefined when it does not exist. */
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

/** What the kubelet reports as CreateContainerConfigError: the container cannot start (yet). */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

// What `envFrom` accepts as a variable name (the kubelet skips other keys).
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export async function resolveContainerEnv(
  pod: V1Pod,
  container: V1Container,
  sources: EnvSources,
): Promise<Record<string, string>> {
  const namespace = pod.metadata!.namespace!;
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref?.name) continue;
    const kind = from.secretRef ? 'Secret' : 'ConfigMap';
    const data = from.secretRef
      ? await sources.secret(namespace, ref.name)
      : await sources.configMap(namespace, ref.name);
    if (data === undefined) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${kind} "${ref.name}" (envFrom) not found in ${namespace}`);
    }
    for (const [key, value] of Object.entries(data)) {
      const name = `${from.prefix ?? ''}${key}`;
      if (ENV_NAME.test(name)) env[name] = value;
    }
  }
  for (const variable of container.env ?? []) {
    const value = await valueOf(pod, container, variable, sources, env);
    if (value !== undefined) env[variable.name] = value;
  }
  return env;
}

async function valueOf(
  pod: V1Pod,
  container: V1Container,
  variable: V1EnvVar,
  sources: EnvSources,
  defined: Record<string, string>,
): Promise<string | undefined> {
  const namespace = pod.metadata!.namespace!;
  const from = variable.valueFrom;
  if (!from) return expandReferences(variable.value ?? '', defined);
  if (from.secretKeyRef || from.configMapKeyRef) {
    const ref = (from.secretKeyRef ?? from.configMapKeyRef)!;
    const kind = from.secretKeyRef ? 'Secret' : 'ConfigMap';
    const data = from.secretKeyRef
      ? await sources.secret(namespace, ref.name!)
      : await sources.configMap(namespace, ref.name!);
    const value = data?.[ref.key];
    if (value !== undefined) return value;
    if (ref.optional) return undefined;
    throw new ContainerConfigError(
      data === undefined
        ? `${kind} "${ref.name}" (env ${variable.name}) not found in ${namespace}`
        : `${kind} "${ref.name}" has no key "${ref.key}" (env ${variable.name})`,
    );
  }
  if (from.fieldRef) return fieldValue(pod, from.fieldRef, variable.name);
  throw new ContainerConfigError(
    `env ${variable.name} of container ${container.name}: resourceFieldRef is not supported by the local runner`,
  );
}

/** The downward API fields the kubelet offers as env values. */
function fieldValue(pod: V1Pod, ref: V1ObjectFieldSelector, name: string): string {
  const path = ref.fieldPath;
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (keyed) return pod.metadata?.[keyed[1] as 'labels' | 'annotations']?.[keyed[2]!] ?? '';
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.hostIP': pod.status?.hostIP,
    'status.podIP': pod.status?.podIP,
  };
  if (!(path in fields))
    throw new ContainerConfigError(`env ${name}: fieldRef ${path} is not supported by the local runner`);
  return fields[path] ?? '';
}

/**
 * `$(NAME)` → the value of a variable defined before; unknown references stay as written, and
 * `$$` is a literal `$`: the kubelet's expansion, also applied to command and args.
 */
export function expandReferences(text: string, defined: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && Object.hasOwn(defined, name) ? defined[name]! : match;
  });
}
