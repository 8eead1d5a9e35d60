import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './processes.ts';

/**
 * A throwaway CA and serving certificate for the local broker's SASL_SSL listener, made once per
 * state directory. The broker reads key and certificate from one PEM file (ssl.keystore.type=PEM,
 * an unencrypted PKCS#8 key); clients trust `caFile` (KAFKA_TLS_CA_FILE).
 */
export function ensureKafkaTls(dir: string): { caFile: string; keystoreFile: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string): string => join(dir, name);
  const keystoreFile = file('broker.pem');
  if (existsSync(keystoreFile)) return { caFile: file('ca.crt'), keystoreFile };
  const openssl = (what: string, args: string[]): string => run('openssl', args, { what });
  openssl('creating the local Kafka CA', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '3650',
    '-subj',
    '/CN=boxoffice-local-kafka-ca',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
  ]);
  openssl('creating the Kafka broker key', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    file('broker.key'),
    '-out',
    file('broker.csr'),
  ]);
  writeFileSync(
    file('broker.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  openssl('signing the Kafka broker certificate', [
    'x509',
    '-req',
    '-in',
    file('broker.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '3650',
    '-extfile',
    file('broker.ext'),
    '-out',
    file('broker.crt'),
  ]);
  writeFileSync(
    keystoreFile,
    readFileSync(file('broker.key'), 'utf8') + readFileSync(file('broker.crt'), 'utf8'),
    { mode: 0o600 },
  );
  return { caFile: file('ca.crt'), keystoreFile };
}
