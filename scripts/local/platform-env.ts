import { signLocalToken } from '@boxoffice/platform/auth/jwt';
import type { Settings } from '../deps/env-file.ts';
import { kafkaEnvFor } from '../deps/kafka-users.ts';

// Local development only: `npm start` prints a token signed with this, so a newcomer can buy at once.
export const LOCAL_JWT_SECRET = 'boxoffice-local-development-secret-not-for-production';
export const LOCAL_WEBHOOK_SECRET = 'boxoffice-local-webhook-secret';
const LOCAL_JWT = { issuer: 'boxoffice-local', audience: 'boxoffice' };

/**
 * Settings that only make sense on a developer's machine, given to both API pods of `npm start`
 * (through the chart's `purchaseApi.env` and `queryApi.env`), never defaults of the services.
 */
export const LOCAL_DEVELOPMENT_ENV: Record<string, string> = {
  // Development convenience only: lets a local proxy (or curl -H 'X-Forwarded-For: …') name the
  // client, to try per-IP limits. In a cluster, list the ingress's addresses; the default trusts none.
  TRUSTED_PROXIES: 'loopback',
};

/**
 * The Kafka principal of one local component: purchase-api and the operator get their own.
 * query-api does not use Kafka. The allocators' goes into the chart's Secret (localAllocatorKafka).
 */
export function localKafkaEnv(settings: Settings, component: string): Record<string, string> {
  if (component === 'purchase-api') return kafkaEnvFor(settings, 'purchase-api');
  if (component !== 'operator') return {};
  return kafkaEnvFor(settings, 'operator');
}

/**
 * The allocators' own principal, for the chart's `kafka.allocatorUsername`/`allocatorPassword` (kept
 * in the chart's Secret: allocator pods read it by reference); none on a broker without SASL.
 */
export function localAllocatorKafka(settings: Settings): { username: string; password: string } | undefined {
  return localPrincipal(settings, 'allocator');
}

/**
 * The analytics consumer's own principal, for the chart's `kafka.analyticsUsername`/`analyticsPassword`
 * (kept in the chart's Secret), and its SASL mechanism (not a secret: a plain env of the pod).
 */
export function localAnalyticsKafka(
  settings: Settings,
): { username: string; password: string; mechanism: string } | undefined {
  const principal = localPrincipal(settings, 'analytics');
  const mechanism = kafkaEnvFor(settings, 'analytics').KAFKA_SASL_MECHANISM;
  return principal && mechanism ? { ...principal, mechanism } : undefined;
}

function localPrincipal(
  settings: Settings,
  component: 'allocator' | 'analytics',
): { username: string; password: string } | undefined {
  const { KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD } = kafkaEnvFor(settings, component);
  return KAFKA_SASL_USERNAME && KAFKA_SASL_PASSWORD
    ? { username: KAFKA_SASL_USERNAME, password: KAFKA_SASL_PASSWORD }
    : undefined;
}

export async function printWelcome(options: {
  settings: Settings;
  purchaseApi: string;
  queryApi: string;
  prometheus: string;
  release: { name: string; namespace: string };
  logDir: string;
}): Promise<void> {
  const { settings, purchaseApi, queryApi, prometheus, release } = options;
  const token = await signLocalToken({
    secret: LOCAL_JWT_SECRET,
    ...LOCAL_JWT,
    buyerId: 'buyer-1',
    expiresIn: '12h',
  });
  const kubectl = `${settings.KUBECTL ?? 'kubectl'} --kubeconfig=${settings.KUBECONFIG}`;
  console.log(`
boxoffice is running: the Helm release ${release.name} in namespace ${release.namespace}, its pods run
as local processes. Ctrl-C stops everything this run started.

  kubectl:      export KUBECONFIG=${settings.KUBECONFIG}
                ${kubectl} get tev -A
                ${kubectl} get pods -n ${release.namespace}
  purchase API: ${purchaseApi}  (OpenAPI: /openapi.json)
  query API:    ${queryApi}
  prometheus:   ${prometheus}  (every pod scraped, the alert rules loaded: /targets, /alerts)
  traces:       ${settings.JAEGER_QUERY_URL}/api/v3/traces/<trace-id>  (Jaeger's query API; the id is in
                each answer's traceresponse header and each log line's trace_id)
  buyer token:  export TOKEN=${token}

  buy a ticket:
    curl -si -X POST ${purchaseApi}/v1/events/demo/spring-concert/orders \\
      -H "Authorization: Bearer $TOKEN" -H "Idempotency-Key: $(uuidgen || date +%s%N)" \\
      -H 'Content-Type: application/json' -d '{"ticketType":"standard","quantity":2}'

  logs:         ${options.logDir}
`);
}
