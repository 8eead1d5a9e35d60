import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Settings } from './env-file.ts';
import { DepsError } from './errors.ts';
import { ensureKedaKafkaPrincipal } from './keda-kafka.ts';
import {
  KEDA_NAMESPACE,
  kedaBindings,
  kedaNamespace,
  METRICS_API_SERVICE,
  METRICS_SERVICE_HOST,
  metricsApiService,
} from './keda-manifests.ts';
import { KubePki } from './kube-pki.ts';
import type { Part } from './part.ts';
import { PartState } from './part-state.ts';
import { cacheDir, repoRoot } from './paths.ts';
import { requireCommand } from './prerequisites.ts';
import { freePort, run, startDaemon, waitUntil } from './processes.ts';

/** Must match tools/keda/go.mod (and the CRDs in ../shared/third-party/keda-v2.20.2). */
export const KEDA_VERSION = 'v2.20.2';
const KEDA_MODULE = 'github.com/kedacore/keda/v2';
const kedaHome = join(cacheDir, `keda-${KEDA_VERSION}`);
const kedaBin = join(kedaHome, 'bin');
/**
 * KEDA's own manifests, copied from its module when it is built (its release manifests are not at
 * hand): the RBAC roles of operator and metrics server, and all six CRDs. The shared third-party
 * folder has only the three the operator writes or references; KEDA does not start without its
 * ScaledJob and CloudEventSource CRDs.
 */
const kedaManifests = join(kedaHome, 'config');
const roleFiles = ['rbac/role.yaml', 'metrics-server/role.yaml'] as const;
const crdDir = 'crd/bases';
const moduleDir = join(repoRoot, 'tools', 'keda');
const PORT_NAMES = ['metrics', 'probe', 'grpc', 'adapter', 'adapterMetrics'] as const;
type KedaPorts = Record<(typeof PORT_NAMES)[number], number>;
/** The user of KEDA's client certificate: both processes run as it, as KEDA's manifests run both as one service account. */
const KEDA_USER = 'keda-operator';

/**
 * The version ldflags of KEDA's Makefile (GO_LDFLAGS); a release sets VERSION to the tag without
 * its `v`. The Go module proxy carries no git commit, so GitCommit stays empty rather than made up.
 */
function kedaLdflags(): string {
  return [
    '-s -w',
    `-X=${KEDA_MODULE}/version.GitCommit=`,
    `-X=${KEDA_MODULE}/version.Version=${KEDA_VERSION.replace(/^v/, '')}`,
  ].join(' ');
}

const BINARIES = [
  ['keda', 'cmd/operator'],
  ['keda-adapter', 'cmd/adapter'],
] as const;
const missingBinaries = () => BINARIES.filter(([bin]) => !existsSync(join(kedaBin, bin)));
const manifestsCopied = () => [...roleFiles, crdDir].every((file) => existsSync(join(kedaManifests, file)));

/**
 * Each missing binary once, into the machine's tool cache (shared by every checkout; Go's own build
 * cache makes a rebuild after a version change incremental). Into a side file first: an interrupted
 * build leaves nothing that looks finished.
 */
function buildKeda(): void {
  requireCommand(
    'go',
    'install Go 1.26+ (https://go.dev/dl) to build KEDA, or set KUBECONFIG to a cluster with KEDA',
  );
  mkdirSync(kedaBin, { recursive: true });
  const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-trimpath' };
  for (const [bin, pkg] of missingBinaries()) {
    console.error(
      `boxoffice deps: building KEDA ${KEDA_VERSION} ${bin} from the Go module proxy (first run on this machine only)`,
    );
    const partial = join(kedaBin, `${bin}.partial`);
    run('go', ['build', '-ldflags', kedaLdflags(), '-o', partial, `${KEDA_MODULE}/${pkg}`], {
      cwd: moduleDir,
      env,
      what: `building KEDA ${bin} ${KEDA_VERSION}`,
    });
    renameSync(partial, join(kedaBin, bin));
  }
}

function copyKedaManifests(): void {
  const dir = run('go', ['list', '-m', '-f', '{{.Dir}}', KEDA_MODULE], {
    cwd: moduleDir,
    what: 'locating the KEDA module',
  }).trim();
  // File by file and writable: the module cache is read-only, and the tool cache must stay removable.
  const copy = (from: string, to: string): void => {
    mkdirSync(join(to, '..'), { recursive: true });
    copyFileSync(from, to);
    chmodSync(to, 0o644);
  };
  for (const file of roleFiles) copy(join(dir, 'config', file), join(kedaManifests, file));
  for (const crd of readdirSync(join(dir, 'config', crdDir)))
    copy(join(dir, 'config', crdDir, crd), join(kedaManifests, crdDir, crd));
}

/**
 * KEDA on the local control plane: its operator (scales allocators between zero and one, and owns
 * their HPAs) and its metrics server (serves the lag to the HPA controller through the aggregation
 * layer, so allocators scale out beyond one), as local processes with a client certificate of
 * their own bound to KEDA's roles. Its Kafka scaler logs in as its own principal, allowed only to
 * describe (keda-kafka.ts), kept in KEDA_KAFKA_PRINCIPAL_FILE: each platform installed here puts it
 * into a TriggerAuthentication beside its ScaledObjects (keda-manifests.ts
 * `kafkaTriggerAuthentication`, the chart's `keda.kafka.*`).
 */
export class Keda implements Part {
  readonly name = 'keda';
  readonly needs = ['kubernetes', 'kafka'] as const;
  private readonly state = new PartState('keda', ['keda-operator', 'keda-metrics-apiserver']);

  /** A cluster of one's own (KUBECONFIG) brings its own KEDA, or none. */
  external(): Settings | undefined {
    return process.env.KUBECONFIG ? {} : undefined;
  }

  goBuild() {
    const missing = missingBinaries().map(([bin]) => bin);
    if (missing.length === 0 && manifestsCopied()) return undefined;
    return {
      what: `KEDA ${KEDA_VERSION} (${missing.length ? missing.join(', ') : "its module's manifests"})`,
      otherwise: 'set KUBECONFIG to a cluster with KEDA',
    };
  }

  async ensure(): Promise<void> {
    if (missingBinaries().length) buildKeda();
    if (!manifestsCopied()) copyKedaManifests();
  }

  running(): boolean {
    return this.state.running();
  }

  async up(needed: Settings = {}): Promise<Settings> {
    if (!needed.KUBECONFIG || !needed.KUBE_PKI_DIR || !needed.KUBE_APISERVER_URL)
      throw new DepsError('KEDA needs the local control plane (its settings are missing)');
    const dir = this.state.dir;
    const kubectl = (...args: string[]): string =>
      run(needed.KUBECTL ?? 'kubectl', [`--kubeconfig=${needed.KUBECONFIG}`, ...args], {
        what: `kubectl ${args.slice(0, 2).join(' ')}`,
      });
    const apply = (name: string, manifests: Record<string, unknown>[]): void => {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }), {
        mode: 0o600,
      });
      kubectl('apply', '--server-side', '--force-conflicts', '--field-manager=boxoffice-deps', '-f', file);
    };

    // Kafka credentials are checked on every `up` (the broker's storage may have been reset since),
    // and the cluster objects KEDA depends on are applied again (idempotent).
    const kafkaFile = join(dir, 'kafka-user.json');
    const kafka = await ensureKedaKafkaPrincipal(needed, kafkaFile);
    if (kafka) writeFileSync(kafkaFile, `${JSON.stringify(kafka, null, 2)}\n`, { mode: 0o600 });
    else rmSync(kafkaFile, { force: true });
    const settings = (metricsPort: number): Settings => ({
      KEDA_OPERATOR_METRICS_URL: `http://127.0.0.1:${metricsPort}/metrics`,
      ...(kafka ? { KEDA_KAFKA_PRINCIPAL_FILE: kafkaFile } : {}),
    });
    const pki = this.pki();
    const applyMetricsApi = (port: number): void =>
      apply('metrics-api', metricsApiService(port, readFileSync(pki.path('ca.crt'), 'utf8')));
    if (this.state.savedSettings() && this.running()) {
      const ports = this.ports();
      applyMetricsApi(ports.adapter);
      return settings(ports.metrics);
    }
    await this.state.stopAll();

    const kubeconfig = this.kubeconfig(needed);
    apply('namespace', [kedaNamespace()]);
    for (const file of [crdDir, ...roleFiles])
      kubectl(
        'apply',
        '--server-side',
        '--force-conflicts',
        '--field-manager=boxoffice-deps',
        '-f',
        join(kedaManifests, file),
      );
    kubectl(
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/scaledjobs.keda.sh',
      'crd/cloudeventsources.eventing.keda.sh',
      'crd/clustercloudeventsources.eventing.keda.sh',
    );
    apply('bindings', kedaBindings(KEDA_USER));

    // Fresh loopback ports on every start; a port taken between picking and binding (other
    // checkouts start servers on this machine too) means one more try with others.
    for (let attempt = 1; ; attempt++) {
      const ports = await this.pickPorts();
      const logFiles = this.state.processes.map((name) => this.state.logFile(name));
      const logStarts = logFiles.map((file) => (existsSync(file) ? statSync(file).size : 0));
      try {
        await this.startProcesses(ports, { kubeconfig, pki, kubectl, applyMetricsApi });
        const started = settings(ports.metrics);
        this.state.saveSettings(started);
        return started;
      } catch (error) {
        await this.state.stopAll();
        // This attempt's output only (the logs are appended to across starts).
        const logs = logFiles
          .map((file, i) => (existsSync(file) ? readFileSync(file).subarray(logStarts[i]).toString() : ''))
          .join('');
        if (attempt >= 3 || !logs.includes('address already in use')) throw error;
      }
    }
  }

  private async startProcesses(
    ports: KedaPorts,
    context: {
      kubeconfig: string;
      pki: KubePki;
      kubectl: (...args: string[]) => string;
      applyMetricsApi: (port: number) => void;
    },
  ): Promise<void> {
    const { kubeconfig, pki, kubectl } = context;
    const env = {
      ...process.env,
      KUBECONFIG: kubeconfig,
      // What KEDA reads from its pod: it watches every namespace and keeps its Secrets in its own.
      WATCH_NAMESPACE: '',
      POD_NAMESPACE: KEDA_NAMESPACE,
      KEDA_CLUSTER_OBJECT_NAMESPACE: KEDA_NAMESPACE,
    };
    const operatorPid = startDaemon({
      name: 'keda-operator',
      command: join(kedaBin, 'keda'),
      args: [
        `--metrics-bind-address=127.0.0.1:${ports.metrics}`,
        `--health-probe-bind-address=127.0.0.1:${ports.probe}`,
        `--metrics-service-bind-address=127.0.0.1:${ports.grpc}`,
        // The gRPC metrics service (the metrics server asks the operator) uses mutual TLS from here.
        `--cert-dir=${pki.dir}`,
        '--enable-cert-rotation=false',
        '--leader-elect=false',
        // For a thousand ScaledObjects at once (npm run bench:operator): KEDA's defaults are 5
        // reconciles at a time and 20 API requests/s, burst 30 (docs/scaling.md, "KEDA locally").
        '--kube-api-qps=100',
        '--kube-api-burst=200',
        '--zap-log-level=info',
        '--zap-encoder=console',
      ],
      env: { ...env, KEDA_SCALEDOBJECT_CTRL_MAX_RECONCILES: '20' },
      logFile: this.state.logFile('keda-operator'),
      pidFile: this.state.pidFile('keda-operator'),
    });
    await waitUntil(
      'the KEDA operator',
      async () => (await fetch(`http://127.0.0.1:${ports.probe}/readyz`)).ok,
      { timeoutMs: 60_000, pid: operatorPid, logFile: this.state.logFile('keda-operator') },
    );

    const adapterPid = startDaemon({
      name: 'keda-metrics-apiserver',
      command: join(kedaBin, 'keda-adapter'),
      args: [
        `--secure-port=${ports.adapter}`,
        '--bind-address=127.0.0.1',
        `--cert-dir=${pki.dir}`,
        `--tls-cert-file=${pki.path('tls.crt')}`,
        `--tls-private-key-file=${pki.path('tls.key')}`,
        `--client-ca-file=${pki.path('ca.crt')}`,
        `--lister-kubeconfig=${kubeconfig}`,
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        `--metrics-service-address=127.0.0.1:${ports.grpc}`,
        // Its /metrics listens on every interface at this port (KEDA offers no host for it).
        `--port=${ports.adapterMetrics}`,
        '--zap-log-level=info',
        '--zap-encoder=console',
      ],
      env,
      logFile: this.state.logFile('keda-metrics-apiserver'),
      pidFile: this.state.pidFile('keda-metrics-apiserver'),
    });
    context.applyMetricsApi(ports.adapter);
    await waitUntil(
      `the external metrics API (${METRICS_API_SERVICE})`,
      async () =>
        kubectl(
          'get',
          'apiservice',
          METRICS_API_SERVICE,
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Available")].status}',
        ) === 'True',
      { timeoutMs: 90_000, pid: adapterPid, logFile: this.state.logFile('keda-metrics-apiserver') },
    );
  }

  /** Five distinct free loopback ports, recorded for the next `up` (which re-applies the APIService). */
  private async pickPorts(): Promise<KedaPorts> {
    const picked = new Set<number>();
    while (picked.size < PORT_NAMES.length) picked.add(await freePort());
    const ports = Object.fromEntries(PORT_NAMES.map((name, i) => [name, [...picked][i]!])) as KedaPorts;
    writeFileSync(join(this.state.dir, 'ports.json'), JSON.stringify(ports));
    return ports;
  }

  private ports(): KedaPorts {
    return JSON.parse(readFileSync(join(this.state.dir, 'ports.json'), 'utf8')) as KedaPorts;
  }

  async down(): Promise<void> {
    await this.state.stopAll();
  }

  async version(settings: Settings): Promise<string> {
    if (!settings.KEDA_OPERATOR_METRICS_URL) return 'KEDA (external)';
    const metrics = await (await fetch(settings.KEDA_OPERATOR_METRICS_URL)).text();
    const version = /^keda_build_info\{[^}]*version="([^"]+)"/m.exec(metrics)?.[1] ?? 'unknown';
    return `KEDA ${version} (operator and metrics server)`;
  }

  /**
   * KEDA's CA and one certificate for both processes (the gRPC metrics service is mutual TLS, and
   * the API server checks the metrics server against METRICS_SERVICE_HOST), as KEDA's own
   * certificate rotation would make them.
   */
  private pki(): KubePki {
    const pki = new KubePki(join(this.state.dir, 'pki'));
    mkdirSync(pki.dir, { recursive: true, mode: 0o700 });
    if (!existsSync(pki.path('ca.crt'))) pki.createCa('ca', '/CN=boxoffice-local-keda-ca');
    if (!existsSync(pki.path('tls.crt')))
      pki.issue('tls', `/CN=${KEDA_USER}`, [
        'extendedKeyUsage=serverAuth,clientAuth',
        `subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:${METRICS_SERVICE_HOST},DNS:keda-operator.${KEDA_NAMESPACE}.svc`,
      ]);
    return pki;
  }

  /** A kubeconfig for KEDA's own client certificate, signed by the control plane's CA. */
  private kubeconfig(needed: Settings): string {
    const clusterPki = new KubePki(needed.KUBE_PKI_DIR!);
    if (!existsSync(clusterPki.path(`${KEDA_USER}.crt`))) clusterPki.issueClient(KEDA_USER, KEDA_USER, []);
    const file = join(this.state.dir, 'kubeconfig');
    writeFileSync(file, clusterPki.kubeconfig(needed.KUBE_APISERVER_URL!, KEDA_USER, KEDA_USER), {
      mode: 0o600,
    });
    return file;
  }
}
