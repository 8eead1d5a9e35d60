/**
 * Whose X-Forwarded-For to believe. The client address decides the per-IP rate limit and the
 * per-client stream cap, and any peer can write that header: believing it from a peer that is not
 * our own ingress lets a client pick its address and escape both. So nothing is trusted unless
 * configured, and then only the listed proxies (the ingress's addresses or CIDRs).
 */
import express from 'express';
import { env } from '../config.ts';

/** Express's `trust proxy` setting for a list: false (the TCP peer is the client) when empty. */
export function trustProxySetting(proxies: readonly string[]): false | string[] {
  return proxies.length === 0 ? false : [...proxies];
}

/** The entries Express refuses, with its reason (it compiles the list when the setting is made). */
function invalidEntries(proxies: readonly string[]): string[] {
  return proxies.flatMap((proxy) => {
    try {
      express().set('trust proxy', [proxy]);
      return [];
    } catch (error) {
      return [`"${proxy}": ${(error as Error).message}`];
    }
  });
}

/** Config keys shared by purchase-api and query-api. */
export const trustedProxiesConfig = {
  /**
   * Comma-separated addresses or CIDRs of the proxies in front of the service (e.g. the ingress
   * controller's pod range, `10.42.0.0/16`), or Express's names `loopback`, `linklocal`,
   * `uniquelocal`. Empty (the default): X-Forwarded-For is ignored, the TCP peer is the client.
   */
  TRUSTED_PROXIES: env
    .list()
    .check((ctx) => {
      const invalid = invalidEntries(ctx.value);
      if (invalid.length > 0)
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          message: `not an address, CIDR or loopback/linklocal/uniquelocal: ${invalid.join('; ')}`,
        });
    })
    .default([]),
};
