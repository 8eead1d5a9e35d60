/**
 * Which backend an Ingress sends a request path to, the way ingress-nginx (the controller the
 * chart's default routes are written for) decides: with `nginx.ingress.kubernetes.io/use-regex`,
 * an Exact path matches itself only and wins; every other path is a case-insensitive regular
 * expression anchored at the start, tried longest first. Without it, paths follow the Ingress API:
 * Exact is equality, Prefix (and ImplementationSpecific) matches whole path elements, longest wins.
 */
export interface IngressBackend {
  service: { name: string; port: { number?: number; name?: string } };
}

interface IngressPath {
  path: string;
  pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  backend: IngressBackend;
}

export interface Ingress {
  metadata: { annotations?: Record<string, string> };
  spec: { rules: { host?: string; http: { paths: IngressPath[] } }[] };
}

const elementPrefix = (prefix: string, path: string): boolean => {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' || path === trimmed || path.startsWith(`${trimmed}/`);
};

export function backendOf(ingress: Ingress, path: string, host?: string): IngressBackend | undefined {
  const rule = ingress.spec.rules.find((r) => host === undefined || r.host === undefined || r.host === host);
  if (!rule) return undefined;
  const paths = [...rule.http.paths].sort((a, b) => b.path.length - a.path.length);
  const exact = paths.find((p) => p.pathType === 'Exact' && p.path === path);
  if (exact) return exact.backend;
  const regex = ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/use-regex'] === 'true';
  const matches = (p: IngressPath): boolean =>
    regex ? new RegExp(`^${p.path}`, 'i').test(path) : elementPrefix(p.path, path);
  return paths.find((p) => p.pathType !== 'Exact' && matches(p))?.backend;
}
