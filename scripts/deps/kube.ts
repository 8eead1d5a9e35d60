import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { Settings } from './env-file.ts';
import { DepsError } from './errors.ts';
import { KubePki } from './kube-pki.ts';
import type { Part } from './part.ts';
import { PartState } from './part-state.ts';
import { cacheDir, kedaCrdDir, repoRoot } from './paths.ts';
import { requireCommand } from './prerequisites.ts';
import { freePort, run, startDaemon, waitUntil } from './processes.ts';

/** Must match tools/kube/go.mod. */
export const KUBERNETES_VERSION = 'v1.35.4';
export const KWOK_VERSION = 'v0.8.0';
const kubeBin = join(cacheDir, `kube-${KUBERNETES_VERSION}`, 'bin');
const kwokBin = join(cacheDir, `kwok-${KWOK_VERSION}`, 'bin');
const controlPlane = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'];
const fakeNode = 'kwok-node-0';

function goBuildEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-trimpath' };
}

/** kube-apiserver, controller-manager, scheduler, kubectl and etcd built from tools/kube; KWOK via go install. */
function ensureBinaries(): void {
  const missing = controlPlane.filter((bin) => !existsSync(join(kubeBin, bin)));
  if (missing.length > 0) {
    requireCommand(
      'go',
      'install Go 1.25+ (https://go.dev/dl) to build the Kubernetes control plane, or set KUBECONFIG to an existing cluster',
    );
    console.error(
      `boxoffice deps: building ${missing.join(', ')} ${KUBERNETES_VERSION} from the Go module proxy (first run only)`,
    );
    mkdirSync(kubeBin, { recursive: true });
    const version = KUBERNETES_VERSION.replace(/^v/, '').split('.');
    const ldflags = [
      '-s -w',
      `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
      `-X k8s.io/component-base/version.gitMajor=${version[0]}`,
      `-X k8s.io/component-base/version.gitMinor=${version[1]}`,
      '-X k8s.io/component-base/version.gitTreeState=clean',
    ].join(' ');
    run('go', ['build', '-ldflags', ldflags, '-o', join(kubeBin, 'etcd'), 'go.etcd.io/etcd/server/v3'], {
      cwd: join(repoRoot, 'tools', 'kube'),
      env: goBuildEnv(),
      what: 'building etcd',
    });
    run(
      'go',
      [
        'build',
        '-ldflags',
        ldflags,
        '-o',
        `${kubeBin}/`,
        ...controlPlane.filter((b) => b !== 'etcd').map((b) => `k8s.io/kubernetes/cmd/${b}`),
      ],
      {
        cwd: join(repoRoot, 'tools', 'kube'),
        env: goBuildEnv(),
        what: `building Kubernetes ${KUBERNETES_VERSION}`,
      },
    );
  }
  if (!existsSync(join(kwokBin, 'kwok'))) {
    requireCommand('go', 'install Go 1.25+ (https://go.dev/dl) to build KWOK');
    console.error(`boxoffice deps: building kwok ${KWOK_VERSION} (first run only)`);
    run('go', ['install', '-ldflags', '-s -w', `sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}`], {
      env: { ...goBuildEnv(), GOBIN: kwokBin },
      what: `building kwok ${KWOK_VERSION}`,
    });
  }
}

/** GET over HTTPS with the admin client certificate; resolves to the status code and body. */
function adminGet(pki: KubePki, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: readFileSync(pki.path('ca.crt')),
        cert: readFileSync(pki.path('admin.crt')),
        key: readFileSync(pki.path('admin.key')),
        timeout: 2_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Ports stay the same across restarts when still free: etcd remembers its peer URL. */
async function stablePorts(dir: string, names: string[]): Promise<Record<string, number>> {
  const file = join(dir, 'ports.json');
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>) : {};
  const ports: Record<string, number> = {};
  for (const name of names) ports[name] = saved[name] ?? (await freePort());
  writeFileSync(file, JSON.stringify(ports));
  return ports;
}

export class KubeControlPlane implements Part {
  readonly name = 'kubernetes';
  private readonly state = new PartState('kube', [
    'etcd',
    'kube-apiserver',
    'kube-controller-manager',
    'kube-scheduler',
    'kwok',
  ]);

  external(): Settings | undefined {
    return process.env.KUBECONFIG ? { KUBECONFIG: process.env.KUBECONFIG } : undefined;
  }

  goBuild() {
    const missing = [...controlPlane.filter((bin) => !existsSync(join(kubeBin, bin)))];
    if (!existsSync(join(kwokBin, 'kwok'))) missing.push('kwok');
    return missing.length
      ? {
          what: `the Kubernetes control plane ${KUBERNETES_VERSION} (${missing.join(', ')})`,
          otherwise: 'set KUBECONFIG to an existing cluster',
        }
      : undefined;
  }

  async ensure(): Promise<void> {
    requireCommand(
      'openssl',
      'install the Debian package openssl (it makes the local API server certificates)',
    );
    ensureBinaries();
    if (!existsSync(kedaCrdDir))
      throw new DepsError(`KEDA CRDs not found at ${kedaCrdDir} (set BOXOFFICE_KEDA_CRDS)`);
  }

  running(): boolean {
    return this.state.running();
  }

  async up(): Promise<Settings> {
    const saved = this.state.savedSettings();
    // One started before the aggregation layer was configured (no front proxy) is restarted.
    if (saved && this.running() && saved.KUBE_AGGREGATION_LAYER) return saved;
    await this.state.stopAll(); // a partial control plane from a crashed run is restarted whole
    const dir = this.state.dir;
    const pki = new KubePki(join(dir, 'pki'));
    pki.ensure();
    const ports = await stablePorts(dir, ['etcd', 'etcdPeer', 'apiserver']);
    const start = (name: string, command: string, args: string[]): number =>
      startDaemon({
        name,
        command,
        args,
        logFile: this.state.logFile(name),
        pidFile: this.state.pidFile(name),
      });

    const etcdUrl = `http://127.0.0.1:${ports.etcd}`;
    const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
    const etcdPid = start('etcd', join(kubeBin, 'etcd'), [
      `--data-dir=${join(dir, 'etcd')}`,
      '--name=default',
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await waitUntil('etcd', async () => (await fetch(`${etcdUrl}/health`)).ok, {
      timeoutMs: 30_000,
      pid: etcdPid,
      logFile: this.state.logFile('etcd'),
    });

    const server = `https://127.0.0.1:${ports.apiserver}`;
    const apiPid = start('kube-apiserver', join(kubeBin, 'kube-apiserver'), [
      `--etcd-servers=${etcdUrl}`,
      `--cert-dir=${pki.dir}`,
      `--secure-port=${ports.apiserver}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--tls-cert-file=${pki.path('apiserver.crt')}`,
      `--tls-private-key-file=${pki.path('apiserver.key')}`,
      `--client-ca-file=${pki.path('ca.crt')}`,
      `--service-account-key-file=${pki.path('sa.pub')}`,
      `--service-account-signing-key-file=${pki.path('sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      '--authorization-mode=RBAC',
      '--endpoint-reconciler-type=none',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      // The aggregation layer, for extension API servers (KEDA's external metrics for the HPA
      // controller): the API server proxies to them as front-proxy-client with the caller's
      // identity in these headers.
      `--requestheader-client-ca-file=${pki.path('front-proxy-ca.crt')}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-username-headers=X-Remote-User',
      `--proxy-client-cert-file=${pki.path('front-proxy-client.crt')}`,
      `--proxy-client-key-file=${pki.path('front-proxy-client.key')}`,
      // TicketEvent watches are served by etcd, not the watch cache, so a test can push an
      // informer's resourceVersion out of the watch window by compacting etcd (410 Gone at once;
      // the cache would keep it for at least 75 s). operator/test/operator-faults.integration.test.ts
      '--watch-cache-sizes=ticketevents.boxoffice.dev#0',
    ]);
    await waitUntil('kube-apiserver', async () => (await adminGet(pki, `${server}/readyz`)).status === 200, {
      timeoutMs: 90_000,
      pid: apiPid,
      logFile: this.state.logFile('kube-apiserver'),
    });

    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, pki.kubeconfig(server, 'admin', 'admin'), { mode: 0o600 });
    start('kube-controller-manager', join(kubeBin, 'kube-controller-manager'), [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--secure-port=0',
      `--service-account-private-key-file=${pki.path('sa.key')}`,
      `--root-ca-file=${pki.path('ca.crt')}`,
      '--use-service-account-credentials=false',
      '--concurrent-gc-syncs=5',
      // HPAs (KEDA's, beyond one allocator replica) read their metrics every 5 s instead of 15 s:
      // a local burst is often drained before a 15 s look, which would then see no lag.
      '--horizontal-pod-autoscaler-sync-period=5s',
    ]);
    start('kube-scheduler', join(kubeBin, 'kube-scheduler'), [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--secure-port=0',
    ]);
    // KWOK plays the kubelet for nodes annotated kwok.x-k8s.io/node=fake: pods are reported Running.
    start('kwok', join(kwokBin, 'kwok'), [
      `--kubeconfig=${kubeconfig}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      `--config=${join(repoRoot, 'tools', 'kwok', 'stages.yaml')}`,
      '--cidr=10.0.1.0/24',
      '--node-ip=127.0.0.1',
      // Heartbeats through node Leases, so the node lifecycle controller keeps the node Ready.
      '--node-lease-duration-seconds=40',
    ]);

    const kubectl = (...args: string[]): string =>
      run(join(kubeBin, 'kubectl'), [`--kubeconfig=${kubeconfig}`, ...args], { what: `kubectl ${args[0]}` });
    const nodeManifest = join(dir, 'node.json');
    writeFileSync(nodeManifest, JSON.stringify(fakeNodeManifest()));
    // A fresh node on every start: taints or conditions left by an earlier run never linger.
    kubectl('delete', 'node', fakeNode, '--ignore-not-found', '--wait=true');
    kubectl('create', '-f', nodeManifest);
    kubectl('apply', '--server-side', '--field-manager=boxoffice-deps', '-f', kedaCrdDir);
    kubectl(
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/scaledobjects.keda.sh',
      'crd/triggerauthentications.keda.sh',
    );
    await waitUntil(
      'the KWOK node',
      async () =>
        kubectl('get', 'node', fakeNode, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') ===
        'True',
      {
        timeoutMs: 60_000,
        logFile: this.state.logFile('kwok'),
      },
    );

    const settings: Settings = {
      KUBECONFIG: kubeconfig,
      KUBECTL: join(kubeBin, 'kubectl'),
      KUBE_PKI_DIR: pki.dir,
      KUBE_APISERVER_URL: server,
      // Marks a control plane started with the aggregation layer and the HPA sync period above.
      KUBE_AGGREGATION_LAYER: 'front-proxy',
    };
    this.state.saveSettings(settings);
    return settings;
  }

  async down(): Promise<void> {
    await this.state.stopAll();
  }

  async version(settings: Settings): Promise<string> {
    const out = run(settings.KUBECTL ?? 'kubectl', [
      `--kubeconfig=${settings.KUBECONFIG}`,
      'version',
      '-o',
      'json',
    ]);
    const parsed = JSON.parse(out) as { serverVersion?: { gitVersion?: string } };
    return `Kubernetes ${parsed.serverVersion?.gitVersion ?? 'unknown'}`;
  }
}

function fakeNodeManifest(): object {
  const resources = { cpu: '32', memory: '256Gi', pods: '250' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: fakeNode,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': fakeNode,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    status: { allocatable: resources, capacity: resources },
  };
}
