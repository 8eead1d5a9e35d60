import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { bytes, podmanEnv, podmanRunArgs, UnsupportedPodSpec } from './podman-runtime.ts';
import type { ContainerLaunch } from './runtime.ts';
import type { ServiceAccountFiles } from './service-account.ts';

/** An operator pod as the chart writes it (restricted profile), with the token volume admission adds. */
const pod: V1Pod = {
  metadata: { name: 'op-1', namespace: 'platform', uid: 'abcdef12-0000' },
  spec: {
    securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 },
    containers: [
      {
        name: 'operator',
        image: 'localhost/boxoffice:e2e',
        imagePullPolicy: 'Never',
        args: ['operator'],
        securityContext: {
          runAsUser: 10001,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        },
        volumeMounts: [
          { name: 'tmp', mountPath: '/tmp' },
          {
            name: 'kube-api-access-x1',
            mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
            readOnly: true,
          },
        ],
      },
    ],
    volumes: [
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      { name: 'kube-api-access-x1', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
    ],
  },
};

const serviceAccount: ServiceAccountFiles = {
  volume: 'kube-api-access-x1',
  dir: '/state/pods/platform_op-1',
  kubeconfig: '/state/pods/platform_op-1/kubeconfig',
  host: '127.0.0.1',
  port: '6443',
  stop: () => undefined,
};

const launch = (overrides: Partial<ContainerLaunch> = {}): ContainerLaunch => ({
  pod,
  container: pod.spec!.containers[0]!,
  name: 'k8s_operator_op-1_platform_abcdef12',
  env: { DATABASE_URL: 'postgres://user:secret@db/boxoffice', PORT: '8090' },
  args: ['operator'],
  serviceAccount,
  logFile: '/state/logs/platform_op-1_operator.log',
  ...overrides,
});

describe('a pod container under podman', () => {
  it("runs with the pod spec's security: its user, read-only root, no capabilities, no escalation", () => {
    const args = podmanRunArgs(launch());
    expect(args).toEqual(
      expect.arrayContaining([
        '--user=10001:1000',
        '--read-only',
        '--cap-drop=ALL',
        '--security-opt=no-new-privileges',
        '--network=host',
        '--pull=never',
      ]),
    );
    expect(args.slice(-2)).toEqual(['localhost/boxoffice:e2e', 'operator']);
  });

  it('mounts each emptyDir as a tmpfs of its size limit and the token volume read-only where the pod mounts it', () => {
    const args = podmanRunArgs(launch());
    expect(args).toContain(`--tmpfs=/tmp:rw,nosuid,nodev,size=${64 * 1024 * 1024}`);
    expect(args).toContain(
      '--volume=/state/pods/platform_op-1:/var/run/secrets/kubernetes.io/serviceaccount:ro',
    );
    expect(bytes('1G')).toBe(1e9);
    expect(() => bytes('1.5Gi')).toThrow(UnsupportedPodSpec);
  });

  it('passes variables by name only, their values through podman’s environment, never on its command line', () => {
    const args = podmanRunArgs(launch());
    expect(args).toEqual(
      expect.arrayContaining(['--env=DATABASE_URL', '--env=KUBERNETES_SERVICE_HOST', '--env=PORT']),
    );
    expect(args.join(' ')).not.toContain('secret@db');
    expect(podmanEnv(launch(), { PATH: '/usr/bin' })).toEqual({
      PATH: '/usr/bin',
      DATABASE_URL: 'postgres://user:secret@db/boxoffice',
      PORT: '8090',
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: '6443',
    });
  });

  it("replaces the image's entrypoint with the pod's command", () => {
    const args = podmanRunArgs(launch({ command: ['node', 'debug.ts'], args: ['x'] }));
    expect(args).toContain('--entrypoint=["node","debug.ts"]');
    expect(args.slice(-2)).toEqual(['localhost/boxoffice:e2e', 'x']);
  });

  it('refuses a volume it cannot provide, naming it', () => {
    const withConfigMap: V1Pod = {
      ...pod,
      spec: {
        ...pod.spec!,
        containers: [
          { ...pod.spec!.containers[0]!, volumeMounts: [{ name: 'conf', mountPath: '/etc/conf' }] },
        ],
        volumes: [{ name: 'conf', configMap: { name: 'settings' } }],
      },
    };
    expect(() =>
      podmanRunArgs(launch({ pod: withConfigMap, container: withConfigMap.spec!.containers[0]! })),
    ).toThrow(/volume conf of container operator/);
  });
});
