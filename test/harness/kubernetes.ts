import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { dependencies } from './dependencies.ts';

export function kubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(dependencies().kubeconfig);
  return config;
}

export async function createNamespace(name: string): Promise<string> {
  await kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name } } });
  return name;
}

/** Runs kubectl against the test cluster as a user would; resolves to stdout, rejects with stderr. */
export async function kubectl(...args: string[]): Promise<string> {
  const { kubectl: bin, kubeconfig } = dependencies();
  const { stdout } = await promisify(execFile)(bin, [`--kubeconfig=${kubeconfig}`, ...args]);
  return stdout;
}
