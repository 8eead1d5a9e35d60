import { KubeConfig } from '@kubernetes/client-node';
import { KubePki } from '../../scripts/deps/kube-pki.ts';
import { dependencies } from './dependencies.ts';

/**
 * A kubeconfig for a user other than the admin, with a client certificate from the local CA: tests
 * bind it to a role and prove a component needs no more than that role grants.
 */
export function kubeConfigAs(user: string, groups: string[] = []): KubeConfig {
  const { kubePkiDir, kubeApiServerUrl } = dependencies();
  if (!kubePkiDir || !kubeApiServerUrl)
    throw new Error(
      'the local control plane (KUBE_PKI_DIR, KUBE_APISERVER_URL) is needed to mint identities',
    );
  const pki = new KubePki(kubePkiDir);
  const name = `client-${user.replace(/[^a-z0-9-]/gi, '-')}`;
  pki.issueClient(name, user, groups);
  const config = new KubeConfig();
  config.loadFromString(pki.kubeconfig(kubeApiServerUrl, name, user));
  return config;
}
