import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { isNotFound } from './errors.ts';
import { Reason, type ChildState } from './status.ts';

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

/** The part of a ScaledObject's status KEDA writes (keda.sh/v1alpha1 `status.conditions`). */
export interface ScaledObjectStatus {
  metadata?: { name?: string };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/**
 * ScalerReady from KEDA's own Ready condition: True once KEDA built the scaler and its HPA and the
 * trigger answers; False with KEDA's reason when the trigger fails (a wrong Kafka credential, a
 * missing ACL) — then nothing wakes an allocator scaled to zero, so the event is not Ready; and
 * not ready while KEDA has not looked at the ScaledObject yet (Unknown, or no condition).
 */
export function scaledObjectState(scaledObject: ScaledObjectStatus, replicas: string): ChildState {
  const name = scaledObject.metadata?.name ?? 'scaledobject';
  const ready = scaledObject.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready || ready.status === 'Unknown')
    return {
      ready: false,
      reason: Reason.WaitingForKeda,
      message: `${name}: KEDA has not reported it Ready yet${ready?.message ? ` (${ready.message})` : ''}`,
    };
  if (ready.status === 'True')
    return {
      ready: true,
      reason: Reason.ScaledObjectReady,
      message: `${name}: KEDA scales on consumer lag, ${replicas} replicas`,
    };
  return {
    ready: false,
    reason: Reason.ScaledObjectNotReady,
    message: `${name}: KEDA reports ${ready.reason ?? 'not ready'}: ${ready.message ?? ''}`.trim(),
  };
}
