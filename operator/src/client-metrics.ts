import { subscribe } from 'node:diagnostics_channel';
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { Counter, type Registry } from 'prom-client';

/**
 * What the operator asks of its dependencies, counted on its side: Kubernetes API requests by verb
 * and resource, Kafka admin requests by API, PostgreSQL statements by kind. Divided by
 * `boxoffice_operator_reconciles_total` they are the cost of one reconcile (`npm run
 * bench:operator` reports them), and they show a cache that stopped working as a jump in GETs.
 */
export function dependencyCallMetrics(registry: Registry) {
  const kube = new Counter({
    name: 'boxoffice_operator_kube_requests_total',
    help: 'Kubernetes API requests sent by the operator, by verb (get, list, watch, create, patch, update, delete, discovery) and resource (plural, /status for the subresource)',
    labelNames: ['verb', 'resource'],
    registers: [registry],
  });
  const kafka = new Counter({
    name: 'boxoffice_operator_kafka_requests_total',
    help: 'Kafka admin requests sent by the operator, by protocol API (Metadata, CreateTopics, …)',
    labelNames: ['api'],
    registers: [registry],
  });
  const postgres = new Counter({
    name: 'boxoffice_operator_postgres_statements_total',
    help: 'PostgreSQL statements sent by the operator, by leading keyword (SELECT, INSERT, BEGIN, …)',
    labelNames: ['statement'],
    registers: [registry],
  });
  return {
    /** Counts every request to `server` (the kubeconfig's cluster) that client-node sends through undici. */
    countKubeRequests(server: string): void {
      const origin = new URL(server).origin;
      subscribe('undici:request:create', (message) => {
        const { request } = message as { request: { origin?: unknown; method: string; path: string } };
        if (String(request.origin) !== origin && String(request.origin) !== `${origin}/`) return;
        kube.inc(kubeRequestLabels(request.method, request.path));
      });
    },
    countKafkaRequests(admin: Admin): void {
      admin.on(admin.events.REQUEST, (event) => kafka.inc({ api: event.payload.apiName }));
    },
    /** Counts the statements of every client the pool opens (pool.query goes through one too). */
    countPostgresStatements(pool: pg.Pool): void {
      pool.on('connect', (client) => {
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as { query: unknown }).query = (...args: unknown[]) => {
          postgres.inc({ statement: statementKind(args[0]) });
          return query(...args);
        };
      });
    },
  };
}

const KEYWORDS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'BEGIN', 'COMMIT', 'ROLLBACK', 'WITH']);

/** The statement's leading keyword, from a bounded set (labels must not carry SQL). */
export function statementKind(query: unknown): string {
  const text = typeof query === 'string' ? query : (query as { text?: unknown } | null)?.text;
  const word = typeof text === 'string' ? (/^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? '') : '';
  return KEYWORDS.has(word) ? word : 'OTHER';
}

/**
 * Verb and resource of a Kubernetes API request, as the API server's own `apiserver_request_total`
 * names them: `/apis/apps/v1/namespaces/x/deployments/y` → get deployments, `…?watch=true` → watch.
 */
export function kubeRequestLabels(method: string, path: string): { verb: string; resource: string } {
  const [pathname = '', query = ''] = path.split('?');
  const parts = pathname.split('/').filter(Boolean);
  // /api/v1/… or /apis/<group>/<version>/…
  const rest = parts[0] === 'api' ? parts.slice(2) : parts[0] === 'apis' ? parts.slice(3) : undefined;
  if (!rest || rest.length === 0) return { verb: 'discovery', resource: '' };
  const scoped = rest[0] === 'namespaces' && rest.length >= 3 ? rest.slice(2) : rest;
  const [resource = '', name, subresource] = scoped;
  const labelled = subresource ? `${resource}/${subresource}` : resource;
  const watch = new URLSearchParams(query).get('watch');
  const verb =
    method === 'GET'
      ? watch === 'true' || watch === '1'
        ? 'watch'
        : name === undefined
          ? 'list'
          : 'get'
      : (({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[
          method
        ] ?? method.toLowerCase());
  return { verb, resource: labelled };
}
