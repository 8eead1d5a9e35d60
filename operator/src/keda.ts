import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { isNotFound } from './errors.ts';

/**
 * Whether KEDA's ScaledObject API is served, by discovery (every authenticated user may read it,
 * so the operator needs no right on CRDs). Cached briefly: installing KEDA later is noticed within
 * a minute, and a reconcile storm does not turn into a discovery storm.
 */
export function kedaDiscovery(
  kubeConfig: KubeConfig,
  apiVersion: string,
  ttlMs = 60_000,
): { installed(): Promise<boolean> } {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const [group, version] = apiVersion.split('/') as [string, string];
  let cached: { value: boolean; at: number } | undefined;
  return {
    async installed() {
      if (cached && Date.now() - cached.at < ttlMs) return cached.value;
      let value: boolean;
      try {
        const resources = await api.getAPIResources({ group, version });
        value = resources.resources.some((r) => r.name === 'scaledobjects');
      } catch (error) {
        // Anything but "not served" is a real failure: guessing "absent" would scale down a live sale.
        if (!isNotFound(error)) throw error;
        value = false;
      }
      cached = { value, at: Date.now() };
      return value;
    },
  };
}
