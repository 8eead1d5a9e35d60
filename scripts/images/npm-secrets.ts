import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What `npm ci` inside an image build needs from this machine's npm set-up, as build secrets
 * (mounted for one RUN step, never written to a layer): the CA bundle that trusts the registry's
 * TLS (here a proxy whose CA is in the host's bundle) and the npm config that names the registry
 * (and its token, where there is one).
 */
export interface NpmBuildSecrets {
  /** `--secret` arguments for buildah: id=npmca and id=npmrc. */
  args: string[];
  remove(): void;
}

const hostBundle = '/etc/ssl/certs/ca-certificates.crt';

function npmConfig(key: string): string {
  return execFileSync('npm', ['config', 'get', key], { encoding: 'utf8' }).trim();
}

/** The CA bundle npm on this machine trusts: NODE_EXTRA_CA_CERTS, npm's cafile, or the system bundle. */
export function npmCaBundle(): string | undefined {
  const cafile = npmConfig('cafile');
  const candidates = [process.env.NODE_EXTRA_CA_CERTS, cafile === 'null' ? undefined : cafile, hostBundle];
  return candidates.find((file): file is string => !!file && existsSync(file));
}

/** Registry settings of an npmrc: `registry`, `@scope:registry`, `//host/:_authToken` and the like. */
export function registrySettings(npmrc: string): string[] {
  return npmrc
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^(registry|@[^:=\s]+:registry|\/\/[^=]*:[\w-]+)\s*=/.test(line));
}

export function npmBuildSecrets(): NpmBuildSecrets {
  const dir = mkdtempSync(join(tmpdir(), 'boxoffice-npm-secrets-'));
  const npmrc = join(dir, 'npmrc');
  const userconfig = npmConfig('userconfig');
  const user = existsSync(userconfig) ? registrySettings(readFileSync(userconfig, 'utf8')) : [];
  // The effective registry (it may come from the global config), then the user's registry
  // settings, which is where tokens live; nothing else of this machine's npm set-up.
  writeFileSync(npmrc, [`registry=${npmConfig('registry')}`, ...user, ''].join('\n'), { mode: 0o600 });
  const args = ['--secret', `id=npmrc,src=${npmrc}`];
  const ca = npmCaBundle();
  if (ca) args.push('--secret', `id=npmca,src=${ca}`);
  return { args, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
