/**
 * Routes as data: one definition gives express its handler, validation and middleware, and
 * gives the OpenAPI document its operation, so the two cannot drift apart.
 */
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { PlatformErrors } from '../errors/platform-errors.ts';
import type { ErrorType } from '../errors/registry.ts';
import { parseRequest, prepareSchemas, type RequestInput, type RequestSchemas } from './validate.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** What a middleware adds to the operations that use it (security, possible problems, headers). */
export interface OperationDoc {
  /** Security scheme objects by name, merged into `components.securitySchemes`. */
  securitySchemes?: Record<string, Record<string, unknown>>;
  /** Security requirement objects added to the operation. */
  security?: Record<string, string[]>[];
  problems?: ErrorType[];
  /** Request headers the middleware reads. */
  headers?: Record<string, { description: string; required: boolean; schema: Record<string, unknown> }>;
}

/** A middleware that describes itself to the OpenAPI builder. */
export type DocumentedMiddleware = RequestHandler & { openapi?: OperationDoc };

export function documented(handler: RequestHandler, openapi: OperationDoc): DocumentedMiddleware {
  return Object.assign(handler, { openapi });
}

export interface ResponseSpec {
  description: string;
  /** Omit for an empty body. */
  schema?: z.ZodType;
  contentType?: string;
  headers?: Record<string, { description: string; schema: Record<string, unknown> }>;
  /**
   * OpenAPI links: operations this answer leads to, with the values they take from it (runtime
   * expressions such as `$response.body#/id`). Clients and stateful fuzzers follow them.
   */
  links?: Record<string, ResponseLink>;
}

export interface ResponseLink {
  operationId: string;
  description?: string;
  parameters?: Record<string, string>;
  requestBody?: unknown;
}

export interface RouteDefinition<S extends RequestSchemas = RequestSchemas> {
  operationId: string;
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/v1/events/{namespace}/{name}`. */
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  request?: S;
  responses: Record<number, ResponseSpec>;
  /** Problems the handler itself can produce (middleware declare their own). */
  problems?: ErrorType[];
  /** Run before validation, in order: authentication first, then per-buyer limits. */
  middleware?: DocumentedMiddleware[];
  handler: (input: RequestInput<S>, req: Request, res: Response) => unknown;
}

export type AnyRoute = RouteDefinition<RequestSchemas>;

/** Identity function that infers the handler's input type from the request schemas. */
export function defineRoute<const S extends RequestSchemas>(route: RouteDefinition<S>): RouteDefinition<S> {
  return route;
}

/** `/v1/events/{namespace}/{name}` → `/v1/events/:namespace/:name` */
export function expressPath(template: string): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');
}

/** The route template a request matched, for metrics and logs (never the raw URL: unbounded cardinality). */
export function routeTemplateOf(res: Response): string | undefined {
  const template: unknown = res.locals.routeTemplate;
  return typeof template === 'string' ? template : undefined;
}

export function markRoute(template: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.routeTemplate = template;
    next();
  };
}

function handle(route: AnyRoute): RequestHandler {
  const schemas = prepareSchemas(route.request ?? {});
  return async (req: Request, res: Response, next: NextFunction) => {
    const input = parseRequest(schemas, req);
    await route.handler(input, req, res);
    if (!res.headersSent && !res.writableEnded) next(new Error(`${route.operationId} sent no response`));
  };
}

/** Mounts the routes; a known path with another method answers 405 with `Allow`. */
export function routesRouter(routes: readonly AnyRoute[]): Router {
  const router = express.Router();
  const methodsByPath = new Map<string, HttpMethod[]>();
  for (const route of routes) {
    const key = route.path;
    if (methodsByPath.get(key)?.includes(route.method))
      throw new Error(`route ${route.method.toUpperCase()} ${route.path} is defined twice`);
    methodsByPath.set(key, [...(methodsByPath.get(key) ?? []), route.method]);
    router[route.method](
      expressPath(route.path),
      markRoute(route.path),
      ...(route.middleware ?? []),
      handle(route),
    );
  }
  for (const [path, methods] of methodsByPath) {
    const allow = [...methods.map((m) => m.toUpperCase()), ...(methods.includes('get') ? ['HEAD'] : [])].join(
      ', ',
    );
    router.all(expressPath(path), markRoute(path), (req, _res, next) => {
      next(
        new AppError(PlatformErrors.MethodNotAllowed, {
          detail: `${req.method} is not allowed here; use ${allow}`,
          headers: { Allow: allow },
        }),
      );
    });
  }
  return router;
}
