import { describe, expect, it } from '@jest/globals';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { ContainerConfigError, expandReferences, resolveContainerEnv, type EnvSources } from './pod-env.ts';

const pod: V1Pod = {
  metadata: { name: 'operator-7d9f', namespace: 'platform', uid: 'u-1', labels: { tier: 'control' } },
  spec: { nodeName: 'kwok-node', serviceAccountName: 'operator', containers: [] },
  status: { podIP: '10.0.1.7' },
};

/** Secrets and ConfigMaps of one namespace, as the API would return them. */
function sources(objects: {
  secrets?: Record<string, Record<string, string>>;
  configMaps?: Record<string, Record<string, string>>;
}): EnvSources {
  return {
    secret: async (namespace, name) => (namespace === 'platform' ? objects.secrets?.[name] : undefined),
    configMap: async (namespace, name) => (namespace === 'platform' ? objects.configMaps?.[name] : undefined),
  };
}

const container = (spec: Partial<V1Container>): V1Container => ({ name: 'main', ...spec });

describe('a container environment resolved like the kubelet', () => {
  it('reads secretKeyRef and configMapKeyRef in the pod namespace, and the downward API fields', async () => {
    const env = await resolveContainerEnv(
      pod,
      container({
        env: [
          { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'creds', key: 'DATABASE_URL' } } },
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'PLAIN', value: 'yes' },
        ],
      }),
      sources({
        secrets: { creds: { DATABASE_URL: 'postgres://db' } },
        configMaps: { settings: { mode: 'fast' } },
      }),
    );
    expect(env).toEqual({
      DATABASE_URL: 'postgres://db',
      MODE: 'fast',
      POD_NAME: 'operator-7d9f',
      POD_NAMESPACE: 'platform',
      TIER: 'control',
      POD_IP: '10.0.1.7',
      PLAIN: 'yes',
    });
  });

  it('takes envFrom first, in order and with its prefix, and lets env win over it', async () => {
    const env = await resolveContainerEnv(
      pod,
      container({
        envFrom: [
          { secretRef: { name: 'kafka' } },
          { configMapRef: { name: 'overrides' } },
          { prefix: 'X_', configMapRef: { name: 'overrides' } },
        ],
        env: [{ name: 'KAFKA_SASL_MECHANISM', value: 'SCRAM-SHA-256' }],
      }),
      sources({
        secrets: {
          kafka: { KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'svc', 'not valid!': 'x' },
        },
        configMaps: { overrides: { KAFKA_SASL_USERNAME: 'other' } },
      }),
    );
    expect(env).toEqual({
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
      KAFKA_SASL_USERNAME: 'other',
      X_KAFKA_SASL_USERNAME: 'other',
    });
  });

  it('refuses to start on a missing Secret or key, unless the reference is optional', async () => {
    const missingSecret = container({
      env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'nope', key: 'A' } } }],
    });
    await expect(resolveContainerEnv(pod, missingSecret, sources({}))).rejects.toThrow(
      new ContainerConfigError('Secret "nope" (env A) not found in platform'),
    );
    const missingKey = container({
      env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'creds', key: 'B' } } }],
    });
    await expect(resolveContainerEnv(pod, missingKey, sources({ secrets: { creds: {} } }))).rejects.toThrow(
      'Secret "creds" has no key "B" (env A)',
    );
    const missingFrom = container({ envFrom: [{ secretRef: { name: 'kafka' } }] });
    await expect(resolveContainerEnv(pod, missingFrom, sources({}))).rejects.toThrow(ContainerConfigError);
    const optional = container({
      envFrom: [{ secretRef: { name: 'kafka', optional: true } }],
      env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'nope', key: 'A', optional: true } } }],
    });
    expect(await resolveContainerEnv(pod, optional, sources({}))).toEqual({});
  });

  it('expands $(VAR) from variables defined before, keeps unknown ones and $$ as written', async () => {
    const env = await resolveContainerEnv(
      pod,
      container({
        env: [
          { name: 'HOST', value: 'db' },
          { name: 'URL', value: 'postgres://$(HOST)/$(LATER)' },
          { name: 'LATER', value: 'x' },
          { name: 'LITERAL', value: '$$(HOST) costs $$5' },
        ],
      }),
      sources({}),
    );
    expect(env).toMatchObject({ URL: 'postgres://db/$(LATER)', LITERAL: '$(HOST) costs $5' });
    expect(expandReferences('--port=$(PORT)', { PORT: '8090' })).toBe('--port=8090');
  });

  it('names what it cannot resolve instead of starting without it', async () => {
    const resource = container({
      env: [{ name: 'LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } }],
    });
    await expect(resolveContainerEnv(pod, resource, sources({}))).rejects.toThrow(
      /env LIMIT .*resourceFieldRef/,
    );
    const field = container({
      env: [{ name: 'F', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } }],
    });
    await expect(resolveContainerEnv(pod, field, sources({}))).rejects.toThrow('fieldRef spec.hostname');
  });
});
