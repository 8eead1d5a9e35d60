/**
 * Probes and metrics: `/healthz` says the process is alive (nothing else, so a dependency
 * outage never gets pods restarted), `/readyz` runs the registered dependency checks (and
 * fails while draining, so the endpoint is removed before connections close), `/metrics`
 * exposes the prom-client registry. A failing optional check (a cache the service can serve
 * without) makes the answer `degraded`, still 200: taking every replica out of the load balancer
 * because Redis is down would turn a slower service into no service.
 */
import express from 'express';
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { PlatformErrors } from '../errors/platform-errors.ts';
import { problem, sendProblem } from './problem.ts';
import { markRoute } from './route.ts';

export interface ReadinessCheck {
  /** Reported on failure, e.g. 'postgres', 'kafka-consumer'. */
  name: string;
  /** Resolves when ready; resolves `false`, throws or rejects when not. */
  check: (signal: AbortSignal) => Promise<unknown>;
  timeoutMs?: number;
  /** The service still serves without it (degraded): a failure does not make it unready. */
  optional?: boolean;
}

export interface CheckResult {
  name: string;
  status: 'ok' | 'failed' | 'timeout';
  /** Present (true) on optional checks. */
  optional?: true;
}

export async function runChecks(checks: readonly ReadinessCheck[], logger?: Logger): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async ({ name, check, timeoutMs = 2_000, optional }): Promise<CheckResult> => {
      const kind = optional ? { optional: true as const } : {};
      const signal = AbortSignal.timeout(timeoutMs);
      const timedOut = new Promise<'timeout'>((resolve) =>
        signal.addEventListener('abort', () => resolve('timeout')),
      );
      try {
        const outcome = await Promise.race([
          check(signal).then((value) => (value === false ? ('failed' as const) : ('ok' as const))),
          timedOut,
        ]);
        if (outcome === 'timeout') logger?.warn({ check: name, timeoutMs }, 'readiness check timed out');
        return { name, status: outcome, ...kind };
      } catch (error) {
        // The reason goes to the log only: probe responses can be reachable from outside.
        logger?.warn({ err: error, check: name }, 'readiness check failed');
        return { name, status: 'failed', ...kind };
      }
    }),
  );
}

export interface HealthOptions {
  checks?: readonly ReadinessCheck[];
  registry: Registry;
  logger?: Logger;
  /** True once shutdown began: readiness fails so traffic moves elsewhere. */
  isDraining?: () => boolean;
}

export function healthRouter({
  checks = [],
  registry,
  logger,
  isDraining = () => false,
}: HealthOptions): Router {
  const router = express.Router();
  router.get('/healthz', markRoute('/healthz'), (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', markRoute('/readyz'), async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (isDraining()) {
      sendProblem(
        res,
        problem(PlatformErrors.Unavailable, { detail: 'Shutting down', instance: req.path, checks: [] }),
      );
      return;
    }
    const results = await runChecks(checks, logger);
    const failed = results.filter((result) => result.status !== 'ok');
    if (failed.every((result) => result.optional)) {
      res.json({ status: failed.length === 0 ? 'ready' : 'degraded', checks: results });
      return;
    }
    sendProblem(
      res,
      problem(PlatformErrors.Unavailable, {
        detail: `Not ready: ${failed
          .filter((result) => !result.optional)
          .map((result) => `${result.name} ${result.status}`)
          .join(', ')}`,
        instance: req.path,
        checks: results,
      }),
    );
  });
  router.get('/metrics', markRoute('/metrics'), async (_req, res) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });
  return router;
}
