/**
 * The end-to-end test's view of an installed platform: the Ingress's backends resolved to the
 * processes the local runner runs (kube-proxy's job), a buyer talking to them, and the
 * TicketEvent's Ready condition.
 */
import { signLocalToken } from '@boxoffice/platform/auth/jwt';
import { SIGNATURE_HEADER, signWebhook } from '@boxoffice/platform/auth/webhook-signature';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { expect } from '@jest/globals';
import { eventually } from '@boxoffice/testkit';
import { serviceEndpoints } from '../../scripts/local/service-endpoints.ts';
import type { WorkloadRunner } from '../../scripts/local/workload-runner.ts';
import { backendOf, type Ingress } from '../chart/ingress-routing.ts';

export interface Installed {
  kubeConfig: KubeConfig;
  runner: WorkloadRunner;
  namespace: string;
  /** The Ingress as the API server holds it. */
  ingress: Ingress;
  host: string;
  jwtSecret: string;
  webhookSecret: string;
}

/** Where a request for `path` goes: the Ingress's backend Service, then one of its ready pods. */
export async function backendUrl(
  platform: Installed,
  path: string,
): Promise<{ url: string; service: string }> {
  const backend = backendOf(platform.ingress, path, platform.host);
  if (!backend) throw new Error(`the Ingress routes no backend for ${path}`);
  const endpoints = await serviceEndpoints(
    platform.kubeConfig.makeApiClient(CoreV1Api),
    platform.runner.pods(),
    {
      namespace: platform.namespace,
      name: backend.service.name,
      port: backend.service.port.number ?? backend.service.port.name!,
    },
  );
  if (!endpoints.length) throw new Error(`Service ${backend.service.name} has no ready pod (for ${path})`);
  return { url: `${endpoints[0]}${path}`, service: backend.service.name };
}

/** A request through the Ingress's routing; retried while the backend has no ready pod. */
export async function viaIngress(
  platform: Installed,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const { url } = await eventually(() => backendUrl(platform, path), { timeoutMs: 60_000, intervalMs: 500 });
  return fetch(url, init);
}

export interface Sale {
  orderId: string;
  tickets: { code: string }[];
}

/**
 * A buyer holds `quantity` tickets (201, or 202 and the Location polled), the payment provider
 * confirms through the signed webhook, and the buyer reads the issued tickets: every request
 * through the Ingress's paths.
 */
export async function buyTickets(
  platform: Installed,
  event: { namespace: string; name: string; priceMinor: number; currency: string },
  buyer: string,
  quantity: number,
): Promise<Sale> {
  const authorization = `Bearer ${await token(platform, buyer)}`;
  const placed = await viaIngress(platform, `/v1/events/${event.namespace}/${event.name}/orders`, {
    method: 'POST',
    headers: {
      authorization,
      'idempotency-key': `${buyer}-${Date.now()}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ ticketType: 'standard', quantity }),
  });
  expect([201, 202]).toContain(placed.status);
  const { id: orderId } = (await placed.json()) as { id: string };
  const location = placed.headers.get('location')!;
  expect(location).toBe(`/v1/orders/${orderId}`);
  await eventually(
    async () => {
      const order = await viaIngress(platform, location, { headers: { authorization } });
      expect(order.status).toBe(200);
      expect(await order.json()).toMatchObject({ id: orderId, status: 'HELD', quantity });
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );

  const callback = JSON.stringify({
    id: `e2e-payment-${orderId}`,
    type: 'payment.succeeded',
    data: { orderId, amountMinor: quantity * event.priceMinor, currency: event.currency },
  });
  const paid = await viaIngress(platform, '/v1/payments/webhook', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signWebhook(platform.webhookSecret, callback),
    },
    body: callback,
  });
  expect(paid.status).toBe(202);

  const tickets = await eventually(
    async () => {
      const response = await viaIngress(platform, `/v1/orders/${orderId}/tickets`, {
        headers: { authorization },
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { items: { code: string }[] };
      expect(body.items).toHaveLength(quantity);
      return body.items;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  return { orderId, tickets };
}

export function token(platform: Installed, buyer: string): Promise<string> {
  return signLocalToken({
    secret: platform.jwtSecret,
    issuer: 'boxoffice-local',
    audience: 'boxoffice',
    buyerId: buyer,
  });
}

/** Sold tickets of the event, as the availability read (GET /v1/events/{ns}/{name}) reports them. */
export async function soldThroughIngress(
  platform: Installed,
  event: { namespace: string; name: string },
): Promise<number> {
  const response = await viaIngress(platform, `/v1/events/${event.namespace}/${event.name}`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { ticketTypes: { sold: number }[] };
  return body.ticketTypes.reduce((sum, type) => sum + type.sold, 0);
}

type Condition = { type: string; status: string; reason?: string; message?: string };

/** The event's condition `type` (default Ready). */
export async function readyCondition(
  kubeConfig: KubeConfig,
  event: { namespace: string; name: string },
  type = 'Ready',
): Promise<Condition | undefined> {
  const object = (await kubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: 'boxoffice.dev',
    version: 'v1alpha1',
    plural: 'ticketevents',
    namespace: event.namespace,
    name: event.name,
  })) as { status?: { conditions?: Condition[] } };
  return object.status?.conditions?.find((c) => c.type === type);
}

/**
 * Runs `checks` over and over while `during` runs (and a little after it settled), and returns
 * every failure by check, so a test can require there was none.
 */
export async function throughout<T>(
  during: () => Promise<T>,
  checks: Record<string, () => Promise<void>>,
  settleMs = 5_000,
): Promise<{ result: T; failures: Record<string, string[]>; rounds: number }> {
  const failures: Record<string, string[]> = Object.fromEntries(
    Object.keys(checks).map((name) => [name, []]),
  );
  let rounds = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      await Promise.all(
        Object.entries(checks).map(([name, check]) =>
          check().catch(
            (error: Error) => void failures[name]!.push(`${new Date().toISOString()} ${error.message}`),
          ),
        ),
      );
      rounds++;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  try {
    const result = await during();
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return { result, failures, rounds };
  } finally {
    done = true;
    await sampler;
  }
}

/** A GET to one ready pod of a Service of the release (what a request through it would reach). */
export async function getFromService(
  platform: Installed,
  service: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const [endpoint] = await serviceEndpoints(
    platform.kubeConfig.makeApiClient(CoreV1Api),
    platform.runner.pods(),
    {
      namespace: platform.namespace,
      name: service,
      port: 'http',
    },
  );
  if (!endpoint) throw new Error(`Service ${service} has no ready pod`);
  return fetch(`${endpoint}${path}`, { headers, signal: AbortSignal.timeout(5_000) });
}
