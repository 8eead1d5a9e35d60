import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './processes.ts';

/**
 * A throwaway PKI for the local API server, as controller-runtime's envtest makes one: a CA, the
 * serving certificate, an admin client certificate (group system:masters), the service-account
 * signing key pair, and the aggregation layer's front-proxy CA and client certificate. Made once per state directory and reused, so kubeconfigs stay valid.
 */
export class KubePki {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  ensure(): void {
    mkdirSync(this.dir, { recursive: true });
    if (!existsSync(this.path('ca.crt'))) this.createCa('ca', '/CN=boxoffice-local-ca');
    if (!existsSync(this.path('apiserver.crt'))) {
      this.issue('apiserver', '/CN=kube-apiserver', [
        'extendedKeyUsage=serverAuth',
        'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc',
      ]);
    }
    if (!existsSync(this.path('admin.crt'))) this.issueClient('admin', 'admin', ['system:masters']);
    // The aggregation layer's front proxy has a CA of its own: extension API servers (KEDA's metrics
    // server) trust the identity headers only from a certificate of that CA, which no cluster
    // client certificate can be.
    if (!existsSync(this.path('front-proxy-ca.crt')))
      this.createCa('front-proxy-ca', '/CN=boxoffice-local-front-proxy-ca');
    if (!existsSync(this.path('front-proxy-client.crt')))
      this.issue(
        'front-proxy-client',
        '/CN=front-proxy-client',
        ['extendedKeyUsage=clientAuth'],
        'front-proxy-ca',
      );
    if (!existsSync(this.path('sa.key'))) {
      run('openssl', ['genrsa', '-out', this.path('sa.key'), '2048'], {
        what: 'creating the service-account key',
      });
      run('openssl', ['rsa', '-in', this.path('sa.key'), '-pubout', '-out', this.path('sa.pub')], {
        what: 'deriving the service-account public key',
      });
    }
  }

  /** A client certificate for `user` in `groups`, signed by the local CA (tests use it for least-privilege identities). */
  issueClient(name: string, user: string, groups: string[]): { cert: string; key: string } {
    const subject = `/CN=${user}${groups.map((group) => `/O=${group}`).join('')}`;
    this.issue(name, subject, ['extendedKeyUsage=clientAuth']);
    return { cert: this.path(`${name}.crt`), key: this.path(`${name}.key`) };
  }

  /** A kubeconfig with the certificates embedded, so it can be copied or read from anywhere. */
  kubeconfig(server: string, clientName: string, user: string): string {
    const b64 = (file: string): string => readFileSync(this.path(file)).toString('base64');
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: boxoffice-local',
      '  cluster:',
      `    server: ${server}`,
      `    certificate-authority-data: ${b64('ca.crt')}`,
      'users:',
      `- name: ${user}`,
      '  user:',
      `    client-certificate-data: ${b64(`${clientName}.crt`)}`,
      `    client-key-data: ${b64(`${clientName}.key`)}`,
      'contexts:',
      '- name: boxoffice-local',
      '  context:',
      '    cluster: boxoffice-local',
      `    user: ${user}`,
      '    namespace: default',
      'current-context: boxoffice-local',
      '',
    ].join('\n');
  }

  /** A self-signed certificate authority `name` (.crt, .key) in this directory. */
  createCa(name: string, subject: string): void {
    run(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '3650',
        '-subj',
        subject,
        '-keyout',
        this.path(`${name}.key`),
        '-out',
        this.path(`${name}.crt`),
      ],
      { what: `creating the ${name} certificate authority` },
    );
  }

  /** A key and certificate `name` with the given x509 extensions, signed by the CA `ca` of this directory. */
  issue(name: string, subject: string, extensions: string[], ca = 'ca'): void {
    const ext = this.path(`${name}.ext`);
    writeFileSync(ext, `${extensions.join('\n')}\n`);
    run(
      'openssl',
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        subject,
        '-keyout',
        this.path(`${name}.key`),
        '-out',
        this.path(`${name}.csr`),
      ],
      { what: `creating the ${name} key` },
    );
    run(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        this.path(`${name}.csr`),
        '-CA',
        this.path(`${ca}.crt`),
        '-CAkey',
        this.path(`${ca}.key`),
        '-CAcreateserial',
        '-days',
        '3650',
        '-extfile',
        ext,
        '-out',
        this.path(`${name}.crt`),
      ],
      { what: `signing the ${name} certificate` },
    );
  }
}
