import { signLocalToken } from '@boxoffice/platform/auth/jwt';
import type { Settings } from '../deps/env-file.ts';
import { kafkaEnvFor } from '../deps/kafka-users.ts';

// Local-only secrets: `npm start` prints a token signed with this, so a newcomer can buy at once.
const LOCAL_JWT_SECRET = 'boxoffice-local-development-secret-not-for-production';
const LOCAL_WEBHOOK_SECRET = 'boxoffice-local-webhook-secret';

export const PURCHASE_API_PORT = 8080;
export const QUERY_API_PORT = 8081;

/** The environment every local platform process gets: connection settings plus local secrets. */
export async function localPlatformEnv(settings: Settings): Promise<NodeJS.ProcessEnv> {
  return {
    DATABASE_URL: settings.DATABASE_URL,
    REDIS_URL: settings.REDIS_URL,
    KAFKA_BROKERS: settings.KAFKA_BROKERS,
    KUBECONFIG: settings.KUBECONFIG,
    JWT_SECRET: LOCAL_JWT_SECRET,
    JWT_ISSUER: 'boxoffice-local',
    JWT_AUDIENCE: 'boxoffice',
    WEBHOOK_SECRET: LOCAL_WEBHOOK_SECRET,
    BOXOFFICE_WEBHOOK_SECRET: LOCAL_WEBHOOK_SECRET,
    PURCHASE_API_PORT: String(PURCHASE_API_PORT),
    QUERY_API_PORT: String(QUERY_API_PORT),
    // Development convenience only: lets a local proxy (or curl -H 'X-Forwarded-For: …') name the
    // client, to try per-IP limits. In a cluster, list the ingress's addresses; the default trusts none.
    TRUSTED_PROXIES: 'loopback',
    OTEL_TRACES_EXPORTER: process.env.OTEL_TRACES_EXPORTER ?? 'none',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
}

/**
 * The Kafka principal of one local process: purchase-api and the operator get their own; the
 * operator also gets the allocators' to put into the allocator pods it renders (as plain env,
 * the local way). query-api does not use Kafka.
 */
export function localKafkaEnv(settings: Settings, child: string): NodeJS.ProcessEnv {
  if (child === 'purchase-api') return kafkaEnvFor(settings, 'purchase-api');
  if (child !== 'operator') return {};
  const allocator = kafkaEnvFor(settings, 'allocator');
  return {
    ...kafkaEnvFor(settings, 'operator'),
    ...(allocator.KAFKA_SASL_USERNAME && allocator.KAFKA_SASL_PASSWORD
      ? {
          ALLOCATOR_KAFKA_SASL_USERNAME: allocator.KAFKA_SASL_USERNAME,
          ALLOCATOR_KAFKA_SASL_PASSWORD: allocator.KAFKA_SASL_PASSWORD,
        }
      : {}),
  };
}

export async function printWelcome(
  settings: Settings,
  env: NodeJS.ProcessEnv,
  logDir: string,
): Promise<void> {
  const token = await signLocalToken({
    secret: env.JWT_SECRET!,
    issuer: env.JWT_ISSUER!,
    audience: env.JWT_AUDIENCE!,
    buyerId: 'buyer-1',
    expiresIn: '12h',
  });
  const kubectl = `${settings.KUBECTL ?? 'kubectl'} --kubeconfig=${settings.KUBECONFIG}`;
  console.log(`
boxoffice is running. Ctrl-C stops everything this run started.

  kubectl:      export KUBECONFIG=${settings.KUBECONFIG}
                ${kubectl} get tev -A
  purchase API: http://127.0.0.1:${PURCHASE_API_PORT}  (OpenAPI: /openapi.json)
  query API:    http://127.0.0.1:${QUERY_API_PORT}
  buyer token:  export TOKEN=${token}

  buy a ticket:
    curl -si -X POST http://127.0.0.1:${PURCHASE_API_PORT}/v1/events/demo/spring-concert/orders \\
      -H "Authorization: Bearer $TOKEN" -H "Idempotency-Key: $(uuidgen || date +%s%N)" \\
      -H 'Content-Type: application/json' -d '{"ticketType":"standard","quantity":2}'

  logs:         ${logDir}
`);
}
