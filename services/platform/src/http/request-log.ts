import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { routeTemplateOf } from './route.ts';

/**
 * At LOG_LEVEL=debug, one line per request once its response is done (method, route template,
 * status, duration). The line is written in the request's context, so it carries the request's
 * `trace_id` (logger.ts): the way from a log line to its trace, and back. Off at info: a flash sale
 * would log every purchase.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (!logger.isLevelEnabled('debug')) return next();
    const started = performance.now();
    res.once('close', () =>
      logger.debug(
        {
          method: req.method,
          route: routeTemplateOf(res) ?? 'unmatched',
          status: res.statusCode,
          durationMs: Math.round(performance.now() - started),
        },
        'request',
      ),
    );
    next();
  };
}
