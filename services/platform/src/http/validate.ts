/**
 * Request validation with the same zod schemas that document the API. Body, params and query
 * are strict (an unknown field is an error: a typo must not be silently ignored); headers are
 * not, since clients and proxies always add some.
 */
import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import { invalidRequest, validationIssues, type ValidationIssue } from './problem.ts';

export interface RequestSchemas {
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Keys in lower case (Node lower-cases header names). */
  headers?: z.ZodType;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RequestInput<S extends RequestSchemas> {
  params: Parsed<S['params']>;
  query: Parsed<S['query']>;
  body: Parsed<S['body']>;
  headers: Parsed<S['headers']>;
}

const PARTS = ['params', 'query', 'body', 'headers'] as const;

const strictCopies = new WeakMap<z.ZodObject, z.ZodObject>();
const looseCopies = new WeakMap<z.ZodObject, z.ZodObject>();

/**
 * The same object schema with unknown keys rejected (or, for headers, kept). One copy per schema,
 * carrying its metadata, so a `.meta({ id })` name survives into the OpenAPI components.
 */
function withUnknownKeys(schema: z.ZodObject, mode: 'strict' | 'loose'): z.ZodObject {
  // An explicit choice (z.strictObject, z.looseObject, .catchall) is the author's to make.
  if (schema._zod.def.catchall !== undefined) return schema;
  const copies = mode === 'strict' ? strictCopies : looseCopies;
  let copy = copies.get(schema);
  if (copy === undefined) {
    copy = mode === 'strict' ? schema.strict() : schema.loose();
    const meta = z.globalRegistry.get(schema);
    if (meta !== undefined) copy = copy.meta(meta);
    copies.set(schema, copy);
  }
  return copy;
}

/** Top-level objects become strict (body, params, query) or loose (headers); other schemas stay as given. */
export function prepareSchemas<S extends RequestSchemas>(schemas: S): S {
  const prepared: RequestSchemas = {};
  for (const part of PARTS) {
    const schema = schemas[part];
    if (schema === undefined) continue;
    prepared[part] =
      schema instanceof z.ZodObject
        ? withUnknownKeys(schema, part === 'headers' ? 'loose' : 'strict')
        : schema;
  }
  return prepared as S;
}

/**
 * Parses every declared part and reports all problems at once, with `in` and a JSON Pointer per
 * issue; throws a 400 `invalid-request` AppError. Pass schemas through `prepareSchemas` once.
 */
export function parseRequest<S extends RequestSchemas>(schemas: S, req: Request): RequestInput<S> {
  const input: Record<string, unknown> = {};
  const errors: ValidationIssue[] = [];
  for (const part of PARTS) {
    const schema = schemas[part];
    if (schema === undefined) continue;
    const result = schema.safeParse(req[part]);
    if (result.success) input[part] = result.data;
    else errors.push(...validationIssues(result.error, part));
  }
  if (errors.length > 0) throw invalidRequest(errors);
  return input as unknown as RequestInput<S>;
}

/** Middleware form: the parsed input is on `res.locals.input` (prefer `defineRoute`, which types it). */
export function validate(schemas: RequestSchemas): RequestHandler {
  const prepared = prepareSchemas(schemas);
  return (req, res, next) => {
    res.locals.input = parseRequest(prepared, req);
    next();
  };
}
